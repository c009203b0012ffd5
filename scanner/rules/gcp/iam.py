"""The GCP rules' view of Google IAM grants: the reading lives in :mod:`scanner.iam.gcp`, below the rules,
because the entitlement summaries (scanner/entitlements/) read the same bindings; the family base of the
rules that judge one binding at a time lives here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

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
from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.rules.base import Context, Rule, Violation

__all__ = [
    "GRANT_PATTERNS",
    "IAM_GRANT_RE",
    "MACHINE_PREFIXES",
    "SCOPES",
    "SCOPE_ATTRS",
    "SCOPE_GRANT_TYPES",
    "Binding",
    "BindingRule",
    "Member",
    "MemberRule",
    "bindings",
    "describe_members",
    "describe_role",
    "describe_target",
    "grant_kind",
    "most_specific",
    "resolve_members",
    "service_account_label",
]

#: Google has an IAM trio for well over a hundred resource kinds; match the naming scheme.
GRANT_PATTERNS = ("google_*_iam_member", "google_*_iam_binding", "google_*_iam_policy")


class BindingRule(Rule):
    """A rule about the role bindings a Google IAM grant makes: the one binding of a ``google_*_iam_member``
    or ``_binding``, or each binding of a ``_policy`` (see :func:`bindings`)."""

    category = Category.LEAST_PRIVILEGE
    resource_patterns: ClassVar[tuple[str, ...]] = GRANT_PATTERNS
    cross_resource = True  # a deferred data "google_iam_policy" in a plan is read through the model

    def check_binding(self, res: Resource, binding: Binding, ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for binding in bindings(res, ctx):
            yield from self.check_binding(res, binding, ctx)


class MemberRule(BindingRule):
    """A rule about single members of a binding, by what the member stands for
    (``grants roles/viewer on project `p` to `allUsers` (anyone on the internet...)``)."""

    def member_problem(self, member: str) -> str | None:
        """What the member stands for, when the rule reports it."""
        raise NotImplementedError

    def check_binding(self, res: Resource, binding: Binding, ctx: Context) -> Iterable[Violation]:
        for member in binding.members:
            what = self.member_problem(member) if isinstance(member, str) else None
            if what is not None:
                yield Violation(
                    f"{res.address} grants {describe_role(binding.role)} on {describe_target(res)} to `{member}` "
                    f"({what})",
                    binding.path,
                    key=":".join(p for p in (binding.key, str(binding.role), member) if p),
                )
