"""Who approved an identity, where that is recorded, and whether it still holds.

An approval comes from the identity's entry in the approval ledger when it has one, else from
its tags (``approved_by``, ``change_ticket``, ``requested_by``). A ledger entry binds the approval
to the grants it was given for: when the identity's grants (scanner/entitlements/) no longer
match the entry's digest, the approval is stale. With the pull request's reviews, a named
approver counts only if their latest decision is ``APPROVED``. The approval rules (NHI_APR_*),
the inventory and the evidence record all read approvals through here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from scanner.entitlements import diff, entitlements_of
from scanner.model.resource import Resource
from scanner.model.values import MISSING, is_known
from scanner.policy.codeowners import CodeOwners, find_codeowners
from scanner.policy.context import Context
from scanner.policy.ledger import Ledger, LedgerEntry
from scanner.policy.people import is_team, same_person
from scanner.policy.reviews import Review
from scanner.util.paths import display_path

LEDGER, TAGS = "ledger", "tags"


@dataclass
class Approval:
    """An identity's approval, three-valued fields as metadata has them."""

    source: str
    approver: Any = MISSING
    ticket: Any = MISSING
    requester: Any = MISSING
    entry: LedgerEntry | None = None
    ledger: Ledger | None = None
    #: from the identity a credential belongs to: that identity carries the findings
    inherited: bool = False

    @property
    def where(self) -> str:
        """``nhi-guard.approvals.toml:12`` for a ledger entry, for messages."""
        if self.entry is None or self.ledger is None:
            return "tags"
        path = display_path(str(self.ledger.path))
        return f"{path}:{self.entry.line}" if self.entry.line else path

    @property
    def ledger_note(self) -> str:
        """`` (approval ledger nhi-guard.approvals.toml:12)`` when the approval is a ledger entry, for messages."""
        return f" (approval ledger {self.where})" if self.entry is not None else ""

    @property
    def named_approver(self) -> str | None:
        """The approver's name, when this identity names one itself (an inherited approval is judged on the
        identity that carries it, once)."""
        return None if self.inherited else known_name(self.approver)


def approval_of(res: Resource, ctx: Context) -> Approval:
    key = ("approval", id(res))
    found: Approval | None = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = _approval(res, ctx)
    return found


def ledger_scope(res: Resource, ctx: Context) -> str:
    """What a ledger entry's ``module`` names for ``res``: the root module directory it was scanned in
    (or its plan or chat answer file). A local module called from ``prod/`` and ``staging/`` declares
    ``module.svc.aws_iam_role.r`` once, in one file; the two roots are two identities, two entries."""
    return ctx.model.scope(res) or res.file


def _approval(res: Resource, ctx: Context) -> Approval:
    meta = ctx.meta(res)
    scope = ledger_scope(res, ctx)
    # found from the root module, as `nhi-guard approve ROOT` finds it, not from a called module's file
    ledger = ctx.ledgers.for_file(scope) if ctx.ledgers is not None else None
    entry = ledger.entry_for(scope, res.address) if ledger is not None else None
    if entry is not None:
        return Approval(LEDGER, entry.approved_by, entry.ticket, entry.requested_by or meta.requested_by, entry, ledger)
    return Approval(TAGS, meta.approved_by, meta.change_ticket, meta.requested_by, inherited=bool(meta.source))


def requesters(approval: Approval, ctx: Context) -> list[str]:
    """Who asks for the change: the recorded requester and the scan's (a pull request's author)."""
    out = [r for r in (approval.requester, ctx.requester) if isinstance(r, str) and r.strip()]
    return list(dict.fromkeys(out))


def grants_change(res: Resource, ctx: Context, entry: LedgerEntry) -> tuple[list[str], list[str]] | None:
    """(added, removed) grants since the entry was written; None while they are the ones approved."""
    current = entitlements_of(res, ctx)
    if entry.digest == (current.digest if current is not None else None):
        return None
    return diff(entry.grants, current.grants if current is not None else ())


# --- reviews ------------------------------------------------------------------------------------

APPROVED = "APPROVED"
#: the approver has no review at all in the pull request
NO_REVIEW = "no review"
#: the reviews could not be read: nobody can be verified
UNAVAILABLE = "reviews unavailable"
#: an approval of a commit other than the pull request's head
STALE = "approval of an earlier commit"


@dataclass
class ApproverCheck:
    """A named approver, checked against the pull request's reviews."""

    name: str
    #: APPROVED, CHANGES_REQUESTED, DISMISSED, COMMENTED (a comment only), or :data:`NO_REVIEW`
    state: str
    review: Review | None = None
    #: logins the name stands for that reviewed (the name itself, or its aliases)
    logins: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.state == APPROVED

    #: why the reviews could not be read, for :data:`UNAVAILABLE`
    reason: str = ""

    def describe(self) -> str:
        """``their latest review (#8, 2026-10-30) requests changes`` and the like, for messages."""
        if self.state == UNAVAILABLE:
            return f"the pull request's reviews could not be read ({self.reason}), so the approval is not verified"
        if self.state == STALE and self.review is not None:
            when = f"#{self.review.id}" + (f", {self.review.submitted_at}" if self.review.submitted_at else "")
            commit = f"commit {self.review.commit_id[:12]}" if self.review.commit_id else "a commit it does not name"
            return (
                f"their approval ({when}) is of {commit}, not of the pull request's head {self.reason[:12]}: the "
                "change has changed since, so what they approved is not what merges"
            )
        if self.review is None:
            return "they have not reviewed the pull request"
        when = f"#{self.review.id}" + (f", {self.review.submitted_at}" if self.review.submitted_at else "")
        words = {
            "APPROVED": "approves",
            "CHANGES_REQUESTED": "requests changes",
            "DISMISSED": "was dismissed",
            "COMMENTED": "is a comment, not an approval",
        }
        lead = "their only review" if self.state == "COMMENTED" else "their latest review"
        return f"{lead} ({when}) {words.get(self.state, self.state)}"


def check_approver(name: str, ctx: Context, excluded: list[str]) -> ApproverCheck | None:
    """How the pull request's reviews stand on ``name``; None when no reviews were given.

    Reviews by a login that is one of ``excluded`` (the requesters) never count.
    """
    if ctx.reviews is None:
        return None
    if ctx.reviews.unavailable is not None:
        return ApproverCheck(name, UNAVAILABLE, reason=ctx.reviews.unavailable)
    aliases = ctx.config.aliases
    logins = [
        login
        for login in ctx.reviews.logins()
        if same_person(name, login, aliases) and not any(same_person(login, r, aliases) for r in excluded)
    ]
    decision = ctx.reviews.decision(logins)
    if decision is not None:
        earlier_ok = ctx.config.approval.accept_earlier_commits
        if decision.state == APPROVED and ctx.reviews.head and not earlier_ok and ctx.reviews.stale(decision):
            return ApproverCheck(name, STALE, decision, logins, reason=ctx.reviews.head)
        return ApproverCheck(name, decision.state, decision, logins)
    latest = ctx.reviews.latest(logins)
    if latest is not None:
        return ApproverCheck(name, latest.state, latest, logins)
    return ApproverCheck(name, NO_REVIEW, None, logins)


# --- who may approve ----------------------------------------------------------------------------


def authorisation_problem(name: str, res: Resource, ctx: Context) -> str | None:
    """Why ``name`` may not approve ``res`` under the config's ``[approval]``, or None (allowed, or
    cannot tell: a team whose members are not known)."""
    policy = ctx.config.approval
    if policy.approvers:
        allowed, unknown, failed = _among(name, policy.approvers, ctx)
        if not allowed:
            if unknown and not failed:
                return None
            return f"{name} is not one of the allowed approvers ({', '.join(policy.approvers)}){_failed(failed)}"
    if policy.codeowners:
        owners_file = _codeowners(res.file, ctx)
        if owners_file is None:
            return f"no CODEOWNERS file covers {res.file}, so {name} cannot be shown to own it"
        found = owners_file.owners_of(res.file)
        if found is None or not found[0]:
            return f"no CODEOWNERS rule names an owner of {res.file}"
        owners, line = found
        allowed, unknown, failed = _among(name, list(owners), ctx)
        if not allowed and (failed or not unknown):
            shown = " ".join(owners)
            where = f"{owners_file.path.name}:{line}"
            return f"{name} is not a code owner of {res.file} (owners: {shown}, {where}){_failed(failed)}"
    return None


def _failed(failed: list[tuple[str, str]]) -> str:
    return "".join(f"; the members of {team} could not be read: {why}" for team, why in failed)


def _codeowners(file: str, ctx: Context) -> CodeOwners | None:
    """The CODEOWNERS of a file's repository, read once per directory and scan."""
    if not file or file.startswith("<"):
        return None
    key = ("codeowners", os.path.dirname(os.path.abspath(file)))
    if key not in ctx.memo:
        ctx.memo[key] = find_codeowners(file)
    found: CodeOwners | None = ctx.memo[key]
    return found


def _among(name: str, entries: list[str], ctx: Context) -> tuple[bool, bool, list[tuple[str, str]]]:
    """(``name`` is one of the logins, teams or emails in ``entries``; some team's members are not
    known; the teams whose lookup failed, with why)."""
    aliases = ctx.config.aliases
    unknown = False
    failed: list[tuple[str, str]] = []
    for entry in entries:
        if is_team(entry) and "@" not in entry.strip().removeprefix("@"):
            members = ctx.teams.of(entry) if ctx.teams is not None else None
            if members is None:
                unknown = True
                why = ctx.teams.why_unknown(entry) if ctx.teams is not None else None
                if why:
                    failed.append((entry, why))
            elif any(same_person(name, m, aliases) for m in members):
                return True, False, []
        elif same_person(name, entry, aliases):
            return True, False, []
    return False, unknown, failed


def known_name(value: Any) -> str | None:
    return value.strip() if is_known(value) and isinstance(value, str) and value.strip() else None
