"""The GCP rules' view of Google IAM grants: the reading lives in :mod:`scanner.iam.gcp`, below the rules,
because the entitlement summaries (scanner/entitlements/) read the same bindings."""

from __future__ import annotations

from scanner.iam.gcp import (
    IAM_GRANT_RE,
    MACHINE_PREFIXES,
    SCOPE_ATTRS,
    SCOPE_GRANT_TYPES,
    SCOPES,
    Binding,
    Member,
    bindings,
    describe_members,
    describe_role,
    describe_target,
    grant_kind,
    most_specific,
    resolve_members,
    service_account_label,
)

__all__ = [
    "IAM_GRANT_RE",
    "MACHINE_PREFIXES",
    "SCOPES",
    "SCOPE_ATTRS",
    "SCOPE_GRANT_TYPES",
    "Binding",
    "Member",
    "bindings",
    "describe_members",
    "describe_role",
    "describe_target",
    "grant_kind",
    "most_specific",
    "resolve_members",
    "service_account_label",
]
