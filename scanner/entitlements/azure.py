"""Azure and Entra ID: role assignments, Graph app roles and directory roles of a principal.

* ``azurerm_role_assignment`` whose ``principal_id`` is the identity:
  ``Contributor on /subscriptions/...`` (``if <condition>`` for an ABAC condition);
* ``azuread_app_role_assignment`` (admin consent): ``app role <id> of <resource service principal>``;
* ``azuread_directory_role_assignment``: ``directory role <id>``;
* for an application, what it requests (``required_resource_access``, ``azuread_application_api_access``):
  ``requests app role <id> of <api>``, and everything its service principals hold;
* federated identity credentials say who can act as it: ``trust federated <issuer> subject <subject>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.entitlements.grants import value_text, values_text
from scanner.model.values import MISSING, is_missing, iter_blocks

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

TYPES = ("azurerm_user_assigned_identity", "azuread_service_principal", "azuread_application")
_APP_ATTRS = ("application_id", "application_object_id", "client_id")


def lines(res: Resource, ctx: Context) -> Iterator[str]:
    if res.type == "azuread_application":
        yield from _application(res, ctx)
        for sp in _referrers(res, ctx, ("client_id", "application_id"), "azuread_service_principal"):
            yield from _principal(sp, ctx)
    else:
        yield from _principal(res, ctx)
    if res.type == "azurerm_user_assigned_identity":
        for cred in ctx.model.referrers(res, "parent_id", "azurerm_federated_identity_credential"):
            yield _federated(cred)


def _referrers(target: Resource, ctx: Context, attrs: tuple[str, ...], rtype: str) -> list[Resource]:
    found: dict[int, Resource] = {}
    for attr in attrs:
        for r in ctx.model.referrers(target, attr, rtype):
            found.setdefault(id(r), r)
    return list(found.values())


def _principal(res: Resource, ctx: Context) -> Iterator[str]:
    for assignment in ctx.model.referrers(res, "principal_id", "azurerm_role_assignment"):
        role = assignment.get("role_definition_name")
        if is_missing(role):
            role = assignment.get("role_definition_id")
        condition = assignment.get("condition")
        suffix = f" if {value_text(condition)}" if not is_missing(condition) else ""
        yield f"{value_text(role)} on {value_text(assignment.get('scope'))}{suffix}"
    for consent in ctx.model.referrers(res, "principal_object_id", "azuread_app_role_assignment"):
        yield f"app role {value_text(consent.get('app_role_id'))} of {value_text(consent.get('resource_object_id'))}"
    for role in ctx.model.referrers(res, "principal_object_id", "azuread_directory_role_assignment"):
        scope = role.get("directory_scope_id")
        where = f" on {value_text(scope)}" if not is_missing(scope) else ""
        yield f"directory role {value_text(role.get('role_id'))}{where}"


def _application(app: Resource, ctx: Context) -> Iterator[str]:
    for block in iter_blocks(app.get("required_resource_access")):
        api = value_text(block.get("resource_app_id"))
        for access in iter_blocks(block.get("resource_access")):
            kind = access.get("type")
            noun = "app role" if kind == "Role" else "delegated scope" if kind == "Scope" else value_text(kind)
            yield f"requests {noun} {value_text(access.get('id'))} of {api}"
    for api_access in _referrers(app, ctx, _APP_ATTRS, "azuread_application_api_access"):
        api = value_text(api_access.get("api_client_id"))
        for attr, noun in (("role_ids", "app role"), ("scope_ids", "delegated scope")):
            value = api_access.get(attr)
            if not is_missing(value):
                yield f"requests {noun} {values_text(value if isinstance(value, list) else [value])} of {api}"
    for cred in _referrers(app, ctx, _APP_ATTRS, "azuread_application_federated_identity_credential"):
        yield _federated(cred)


def _federated(cred: Resource) -> str:
    audiences = cred.get("audiences")
    shown = f" audience {values_text(audiences if isinstance(audiences, list) else [audiences])}"
    return (
        f"trust federated {value_text(cred.get('issuer'))} subject {value_text(cred.get('subject'))}"
        + (shown if audiences is not MISSING else "")
    )
