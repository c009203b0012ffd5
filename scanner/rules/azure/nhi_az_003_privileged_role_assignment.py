from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import is_missing, is_unknown
from scanner.rules.base import Context, Rule, Violation


@dataclass(frozen=True)
class BuiltInRole:
    name: str
    guid: str
    severity: Severity
    #: the role's only power is assigning roles, so an ABAC condition can constrain it
    delegates: bool = False


#: Azure built-in roles that amount to control of the scope, by lower-cased name
PRIVILEGED_ROLES = {
    role.name.lower(): role
    for role in (
        BuiltInRole("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Severity.CRITICAL),
        BuiltInRole("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", Severity.CRITICAL, True),
        BuiltInRole(
            "Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168", Severity.CRITICAL, True
        ),
        BuiltInRole("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c", Severity.HIGH),
    )
}
_BY_GUID = {role.guid: role for role in PRIVILEGED_ROLES.values()}

_SUBSCRIPTION_RE = re.compile(r"/subscriptions/[^/]+", re.IGNORECASE)
_MANAGEMENT_GROUP_RE = re.compile(r"/providers/microsoft\.management/managementgroups/[^/]+", re.IGNORECASE)
_SUBSCRIPTION_REF_RE = re.compile(r"(^|\.)(data\.)?azurerm_subscription\.")
_MANAGEMENT_GROUP_REF_RE = re.compile(r"(^|\.)(data\.)?azurerm_management_group\.")
_INPUT_REF_RE = re.compile(r"(^|\.)(var|local)\.")
_REFERENCE_RE = re.compile(r"[A-Za-z_][\w\-]*(\.[\w\-]+)+")


class PrivilegedRoleAssignment(Rule):
    """## What it does
    Flags an `azurerm_role_assignment` of Owner, User Access Administrator or Role Based
    Access Control Administrator (critical) or Contributor (high) at subscription,
    management-group or root (`/`) scope. The role is matched by `role_definition_name`
    (case-insensitive) or by the built-in role's GUID at the end of `role_definition_id`
    (also through a `data "azurerm_role_definition"`). The scope is a literal ID, or a
    reference to `azurerm_subscription`/`azurerm_management_group` (resource or data).
    Resource-group and narrower scopes, and scopes that cannot be resolved, are not
    reported. A User Access Administrator or RBAC Administrator assignment constrained by
    an ABAC `condition` is reported as high.

    ## Why is this bad?
    Owner, User Access Administrator and RBAC Administrator can grant any role, including
    to themselves: whoever controls the identity controls the subscription (or every
    subscription below a management group). Contributor can change or delete every
    resource and read most secrets through them. A pipeline or app identity with these
    roles turns one leaked credential into a tenant-wide incident (OWASP NHI5).

    ## Example
    ```hcl
    resource "azurerm_role_assignment" "deployer" {
      scope                = data.azurerm_subscription.current.id
      role_definition_name = "Owner"
      principal_id         = azurerm_user_assigned_identity.deployer.principal_id
    }
    ```

    ## Use instead
    Assign the narrowest built-in (or custom) role on the resource group or resource the
    identity works on:
    ```hcl
    resource "azurerm_role_assignment" "deployer" {
      scope                = azurerm_resource_group.app.id
      role_definition_name = "Website Contributor"
      principal_type       = "ServicePrincipal"
      principal_id         = azurerm_user_assigned_identity.deployer.principal_id
    }
    ```
    A pipeline that deploys to several resource groups gets one assignment per group.
    """

    id = "NHI_AZ_003"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "Privileged Azure role assigned at subscription or wider scope"
    fix = "Assign a narrower role on the resource group or resource the identity needs, not Owner/Contributor broadly."
    resource_types = ("azurerm_role_assignment",)
    cross_resource = True  # role_definition_id may come from data "azurerm_role_definition"

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        role = _role(res, ctx)
        if role is None:
            return
        scope = _scope(res)
        if scope is None:
            return
        severity = role.severity
        constrained = ""
        if role.delegates and not is_missing(res.get("condition")):
            severity = Severity.HIGH
            constrained = ", constrained by an ABAC `condition`"
        yield Violation(
            f"{res.address} assigns {role.name} at {scope} to {_principal(res)}{constrained}",
            "role_definition_name" if not is_missing(res.get("role_definition_name")) else "role_definition_id",
            key=role.name,
            severity=severity,
        )


def _role(res: Resource, ctx: Context) -> BuiltInRole | None:
    name = res.get("role_definition_name")
    if isinstance(name, str):
        return PRIVILEGED_ROLES.get(name.strip().lower())
    role_id = res.get("role_definition_id")
    if isinstance(role_id, str):
        return _by_id(role_id)
    if is_unknown(role_id):
        for source in ctx.model.referenced(res, "role_definition_id", "azurerm_role_definition"):
            if source.mode != "data":
                continue
            by_name, by_id = source.get("name"), source.get("role_definition_id")
            if isinstance(by_name, str):
                return PRIVILEGED_ROLES.get(by_name.strip().lower())
            if isinstance(by_id, str):
                return _by_id(by_id)
    return None


def _by_id(role_id: str) -> BuiltInRole | None:
    return _BY_GUID.get(role_id.strip().rstrip("/").rsplit("/", 1)[-1].lower())


def _scope(res: Resource) -> str | None:
    """How wide the scope is, for the message; None when it is narrower or unknowable."""
    scope = res.get("scope")
    if isinstance(scope, str):
        text = scope.strip()
        if text == "/":
            return "root scope `/` (every management group and subscription)"
        text = text.rstrip("/")
        if _SUBSCRIPTION_RE.fullmatch(text):
            return f"subscription scope `{text}`"
        if _MANAGEMENT_GROUP_RE.fullmatch(text):
            return f"management-group scope `{text}`"
        return None
    if is_unknown(scope) and "/resourcegroups/" in scope.source.lower():
        return None  # "${data.azurerm_subscription.x.id}/resourceGroups/app": narrower than a subscription
    if not is_unknown(scope):
        return None
    # A computed scope: judge by what it references, unless anything else is mixed in
    # (`"${data.azurerm_subscription.x.id}/resourceGroups/${azurerm_resource_group.y.name}"`).
    refs = [r for r in _most_specific(res.references("scope")) if not _INPUT_REF_RE.search(r)]
    if not refs:
        return None
    if all(_SUBSCRIPTION_REF_RE.search(r) for r in refs):
        return f"subscription scope `{refs[0]}`"
    if all(_MANAGEMENT_GROUP_REF_RE.search(r) for r in refs):
        return f"management-group scope `{refs[0]}`"
    return None


def _principal(res: Resource) -> str:
    value: Any = res.get("principal_id")
    kind = res.get("principal_type")
    label = f"{kind} " if isinstance(kind, str) else ""
    if isinstance(value, str):
        return f"{label}principal `{value}`"
    refs = _most_specific(res.references("principal_id"))
    if refs:
        return f"{label}`{refs[0]}`"
    if is_unknown(value) and _REFERENCE_RE.fullmatch(value.source):
        return f"{label}`{value.source}`"
    return "a principal computed at apply"


def _most_specific(refs: list[str]) -> list[str]:
    unique = list(dict.fromkeys(refs))
    return [r for r in unique if not any(o != r and o.startswith(r + ".") for o in unique)]
