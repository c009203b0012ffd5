from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of, meta_hint, reportable_gap


class NoChangeTicket(Rule):
    """## What it does
    Flags identities, credentials and secrets with no change ticket (`change_ticket`
    or `ticket`, or the `ticket` of its approval ledger entry), or with one that does not
    match the configured `ticket_pattern`.

    ## Why is this bad?
    The ticket links an identity to the request, risk review and approval that justified
    it. Without one, an auditor cannot tell a sanctioned service account from one a chat
    assistant added in passing.

    ## Example
    ```hcl
    resource "google_service_account" "etl" {
      account_id  = "etl"
      description = "owner=team-data approved_by=bob"
    }
    ```

    ## Use instead
    ```hcl
    resource "google_service_account" "etl" {
      account_id  = "etl"
      description = "owner=team-data approved_by=bob requested_by=alice ticket=DATA-42"
    }
    ```
    """

    id = "NHI_APR_002"
    category = Category.APPROVAL
    severity = Severity.LOW
    title = "Non-human identity has no change ticket"
    fix = "Add a `change_ticket` (or `ticket`) tag/label naming the approved change."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        meta = ctx.meta(res)
        approval = approval_of(res, ctx)
        ticket = approval.ticket
        if approval.entry is None and reportable_gap(meta, "change_ticket"):
            yield Violation(
                f"{kind_of(res)} {res.address} has no change ticket; set `change_ticket` in {meta_hint(res)}"
            )
        elif isinstance(ticket, str) and ctx.config.ticket_pattern:
            try:
                matched = ticket_matches(ctx.config.ticket_pattern, ticket)
            except TimeoutError:
                yield Violation(
                    f"change ticket of {res.address} could not be checked: `ticket_pattern` took more than "
                    f"{PATTERN_TIMEOUT} s on it (a pattern that backtracks exponentially, like (a|aa)+); simplify it",
                    key="pattern",
                )
                return
            if not matched:
                where = f" (approval ledger {approval.where})" if approval.entry is not None else ""
                yield Violation(
                    f"change ticket of {res.address}{where} does not match the required pattern "
                    f"`{ctx.config.ticket_pattern}`",
                    key="pattern",
                )


#: seconds one ticket may take: the pattern is the user's, the ticket comes from the scanned code
PATTERN_TIMEOUT = 0.1


def ticket_matches(pattern: str, ticket: str) -> bool:
    """``re.search`` semantics, but a pattern that backtracks without end raises TimeoutError.

    The third-party ``regex`` engine (already installed: python-hcl2 and Checkov depend on it)
    takes a timeout; the standard ``re`` does not, and a heuristic that rejects risky-looking
    patterns also rejected safe ones such as ``^([A-Z]+-)*\\d+$``.
    """
    import regex

    return regex.search(pattern, ticket, timeout=PATTERN_TIMEOUT) is not None
