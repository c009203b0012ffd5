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
from dataclasses import dataclass, field
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
    index = _index(ctx)
    scope = ctx.model.scope(account)
    email = (email_of(account) or "").lower()
    yield from index.by_address.get((scope, account.config_address), ())
    if email:
        yield from index.by_email.get((scope, email), ())
        yield from index.trust_by_email.get((scope, email), ())
    yield from index.trust_by_id.get(id(account), ())


@dataclass
class _Index:
    """Every Google IAM grant of the scan, read once, by the service account it names or is on:
    asking each account about every grant made large scans quadratic."""

    by_address: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    by_email: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: grants *on* a service account (who may act as it), by the account resource or its email
    trust_by_id: dict[int, list[str]] = field(default_factory=dict)
    trust_by_email: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _index(ctx: Context) -> _Index:
    key = ("entitlements.gcp.index",)
    found: _Index | None = ctx.memo.get(key)
    if found is not None:
        return found
    index = ctx.memo[key] = _Index()
    for grant in ctx.model.resources:
        if grant.mode != "managed" or not IAM_GRANT_RE.fullmatch(grant.type):
            continue
        scope = ctx.model.scope(grant)
        kind, value = target_of(grant)
        where = f"{kind} {value_text(value)}" if value is not MISSING else "the provider's default project"
        on_accounts = _accounts_of(grant, ctx) if grant.type.startswith("google_service_account_iam_") else None
        for binding in bindings(grant, ctx):
            role = _role_text(binding.role, grant, ctx)
            condition = _condition(binding)
            if on_accounts is not None:
                trust = [f"trust {role} to {value_text(member)}{condition}" for member in binding.members]
                targets, target_email = on_accounts
                for target in targets:
                    index.trust_by_id.setdefault(id(target), []).extend(trust)
                if not targets and target_email:
                    index.trust_by_email.setdefault((scope, target_email), []).extend(trust)
            emails, addresses = named_accounts(binding, grant)
            line = f"{role} on {where}{condition}"
            for address in addresses:
                index.by_address.setdefault((scope, address), []).append(line)
            for email in emails:
                index.by_email.setdefault((scope, email), []).append(line)
    return index


def _accounts_of(grant: Resource, ctx: Context) -> tuple[list[Resource], str | None]:
    """The service account a ``google_service_account_iam_*`` grant is on: the resource, or the
    email of a literal ``projects/p/serviceAccounts/<email>``."""
    targets = ctx.model.referenced(grant, "service_account_id", "google_service_account")
    value = grant.get("service_account_id")
    if isinstance(value, str) and "/serviceAccounts/" in value:
        return targets, value.rsplit("/serviceAccounts/", 1)[-1].lower()
    return targets, None


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
