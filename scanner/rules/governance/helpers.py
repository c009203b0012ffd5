"""Shared helpers and family bases for rules that read ownership, approval and expiry metadata."""

from __future__ import annotations

from collections.abc import Iterable

from scanner.model.nhi_types import CATALOGUE, nhi_type
from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.model.values import MISSING
from scanner.policy.metadata import Metadata
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import Approval, approval_of
from scanner.rules.governance.dates import Expiry, expiry_of

GOVERNED_TYPES: tuple[str, ...] = tuple(sorted(t for t, spec in CATALOGUE.items() if spec.governed))


class GovernanceRule(Rule):
    """A rule about the governance metadata (owner, approval, expiry) of the identities, credentials
    and secrets the catalogue governs."""

    resource_types = GOVERNED_TYPES
    cross_resource = True  # a credential's metadata comes from the identity it belongs to


class ApprovalRule(GovernanceRule):
    """A rule about an identity's approval, from the approval ledger or else its tags (see
    :func:`~scanner.rules.governance.approval.approval_of`)."""

    category = Category.APPROVAL

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield from self.check_approval(res, approval_of(res, ctx), ctx)


class ExpiryRule(GovernanceRule):
    """A rule about the expiry date of a credential or identity, native or from its metadata (see
    :func:`~scanner.rules.governance.dates.expiry_of`); nothing is judged without one."""

    category = Category.EXPIRY

    def check_expiry(self, res: Resource, exp: Expiry, ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        exp = expiry_of(res, ctx)
        if exp is not None:
            yield from self.check_expiry(res, exp, ctx)


def reportable_gap(meta: Metadata, name: str) -> bool:
    """A field is missing and this resource is where it must be fixed.

    A credential that inherits from an identity in the same scan is not flagged
    for the identity's gaps: the identity carries the finding, once.
    """
    return meta.get(name) is MISSING and not meta.source


def inherited(meta: Metadata, name: str) -> bool:
    """The field's value comes from the identity this credential belongs to.

    A finding about that value (a ticket that does not match ``ticket_pattern``, a self-approval,
    an expiry date already past) is reported on the identity, where it is written and where the
    same rule runs, and not again on each credential.
    """
    return name in meta.inherited


def kind_of(res: Resource) -> str:
    spec = nhi_type(res.type)
    return spec.kind if spec else "resource"


def meta_hint(res: Resource) -> str:
    """Where the author should put metadata for this type."""
    spec = nhi_type(res.type)
    if spec is None:
        return "tags"
    if spec.parent and not spec.meta and not spec.text_meta:
        return f"the tags of the {spec.parent[1][0]} it belongs to"
    if spec.meta:
        return " / ".join(dict.fromkeys(p.replace("_all", "").replace("effective_", "") for p in spec.meta))
    return "key=value pairs in " + " / ".join(spec.text_meta)
