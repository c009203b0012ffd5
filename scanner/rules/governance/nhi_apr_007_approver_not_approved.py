from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.people import same_person
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval, check_approver, requesters
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class ApproverHasNotApproved(ApprovalRule):
    """## What it does
    With the pull request's reviews (`--reviews FILE`; the GitHub Action fetches them), flags
    an identity whose named approver (its `approved_by` tag or its approval ledger entry)
    has not approved the pull request: their latest review that is not a comment must be
    `APPROVED`. A later `CHANGES_REQUESTED` or `DISMISSED` review withdraws an approval, a
    comment alone is none, and the requester's own reviews never count.

    ## Why is this bad?
    `approved_by = "bob"` is a claim anyone (or any chat assistant) can write. It is only
    evidence when Bob's approval is on record where the change is reviewed.

    ## Example
    The identity names bob as its approver, but bob only commented on the pull request:
    ```hcl
    resource "azurerm_user_assigned_identity" "etl" {
      name                = "etl"
      resource_group_name = azurerm_resource_group.data.name
      location            = azurerm_resource_group.data.location
      tags = { owner = "team-data", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
    }
    ```
    ```json
    [{"id": 8, "user": {"login": "bob"}, "state": "COMMENTED", "submitted_at": "2026-05-30T09:00:00Z"}]
    ```

    ## Use instead
    Ask the named approver to approve the pull request (the Action re-runs on
    `pull_request_review`), or name the person who did approve it.
    """

    id = "NHI_APR_007"
    severity = Severity.HIGH
    title = "Named approver has not approved the pull request"
    fix = "Have the named approver approve the pull request, or name who actually approved it."
    in_checkov = False
    checkov_note = (
        "It checks approvers against the pull request's reviews, which only `nhi-guard scan --reviews` "
        "and the GitHub Action have."
    )

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        name = approval.named_approver
        if name is None or ctx.reviews is None:
            return
        asking = requesters(approval, ctx)
        if any(same_person(name, r, ctx.config.aliases) for r in asking):
            return  # self-approval: NHI_APR_003 says so
        checked = check_approver(name, ctx, asking)
        if checked is None or checked.verified:
            return
        yield Violation(
            f"{kind_of(res)} {res.address} names {name} as approver{approval.ledger_note}, but {checked.describe()}",
            key=name.lower(),
        )
