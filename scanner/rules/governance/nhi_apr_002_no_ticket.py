from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.policy.config import ticket_matches
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, inherited, kind_of, meta_hint, reportable_gap


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
        elif (
            isinstance(ticket, str)
            and ctx.config.ticket_pattern
            # a ticket a credential inherits from its identity: the identity carries the finding, once
            and (approval.entry is not None or not inherited(meta, "change_ticket"))
            and not ticket_matches(ctx.config.ticket_pattern, ticket)
        ):
            where = f" (approval ledger {approval.where})" if approval.entry is not None else ""
            yield Violation(
                f"change ticket of {res.address}{where} does not match the required pattern "
                f"`{ctx.config.ticket_pattern}`",
                key="pattern",
            )
