"""Google Cloud: the roles a service account holds, and who may act as it.

Every ``google_*_iam_member``, ``_binding`` and ``_policy`` in the scan whose members name the
service account (``serviceAccount:<its email>``, or a reference to it) gives a line
``roles/storage.admin on project acme-prod``, with ``if <CEL expression>`` for a conditional
binding. A custom role defined in the scan lists its permissions, so changing them changes the
digest. Bindings *on* the service account (``google_service_account_iam_*``) say who can act
as it: ``trust roles/iam.workloadIdentityUser to principalSet://...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scanner.entitlements.grants import value_text
from scanner.iam.gcp import IAM_GRANT_RE, Binding, bindings, email_of, named_accounts, target_of
from scanner.model.values import MISSING, Unknown, as_list

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

TYPES = ("google_service_account",)
_CUSTOM_ROLES = ("google_project_iam_custom_role", "google_organization_iam_custom_role")


def lines(account: Resource, ctx: Context) -> Iterator[str]:
    email = email_of(account)
    address = account.config_address
    for grant in _grants(ctx):
        if ctx.model.scope(grant) != ctx.model.scope(account):
            continue
        on_account = grant.type.startswith("google_service_account_iam_") and _targets(grant, account, ctx)
        for binding in bindings(grant, ctx):
            role = _role_text(binding.role, grant, ctx)
            condition = _condition(binding)
            if on_account:
                for member in binding.members:
                    yield f"trust {role} to {value_text(member)}{condition}"
            emails, addresses = named_accounts(binding, grant)
            if (email and email.lower() in emails) or address in addresses:
                kind, value = target_of(grant)
                where = f"{kind} {value_text(value)}" if value is not MISSING else "the provider's default project"
                yield f"{role} on {where}{condition}"


def _grants(ctx: Context) -> list[Resource]:
    """Every Google IAM grant of the scan, found once per scan."""
    key = ("entitlements.gcp.grants",)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = [
            r for r in ctx.model.resources if r.mode == "managed" and IAM_GRANT_RE.fullmatch(r.type)
        ]
    return list(found)


def _targets(grant: Resource, account: Resource, ctx: Context) -> bool:
    if ctx.model.referenced(grant, "service_account_id", "google_service_account") == [account]:
        return True
    value = grant.get("service_account_id")
    email = email_of(account)
    return isinstance(value, str) and email is not None and value.lower().endswith(f"/serviceaccounts/{email.lower()}")


def _condition(binding: Binding) -> str:
    if binding.condition_expression is not None:
        return f" if {value_text(binding.condition_expression)}"
    if binding.condition is not None:
        return f" if condition {binding.condition}"
    return ""


def _role_text(role: Any, grant: Resource, ctx: Context) -> str:
    """The role; a custom role of the scan with its permissions."""
    text = value_text(role)
    custom = []
    if isinstance(role, Unknown) or (isinstance(role, str) and "/roles/" in role):
        custom = [
            r
            for r in ctx.model.referenced(grant, "role", *_CUSTOM_ROLES)
            if r.mode == "managed" and ctx.model.scope(r) == ctx.model.scope(grant)
        ]
    if len(custom) == 1:
        permissions = custom[0].get("permissions")
        if isinstance(permissions, Unknown):
            return f"{text} permitting {value_text(permissions)}"
        return f"{text} permitting [{', '.join(sorted({value_text(p) for p in as_list(permissions)}))}]"
    return text
