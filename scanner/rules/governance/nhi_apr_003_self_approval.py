from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.people import same_person
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class SelfApproval(ApprovalRule):
    """## What it does
    Flags identities, credentials and secrets whose `approved_by` is the same person
    as `requested_by`, including aliases declared in the config (`aliases`). When the
    scan knows who asks for the change (`--requester`, set to the pull request's author
    by the GitHub Action), an `approved_by` naming that person is flagged too.

    ## Why is this bad?
    Separation of duties: a requester approving their own machine identity is no
    approval at all. It is how over-privileged CI users get created "temporarily".

    ## Example
    ```hcl
    resource "kubernetes_service_account_v1" "etl" {
      metadata {
        name        = "etl"
        namespace   = "data"
        annotations = { owner = "team-data", requested_by = "alice", approved_by = "alice", change_ticket = "DATA-7" }
      }
    }
    ```

    ## Use instead
    Have someone other than the requester approve it, and record that person:
    ```hcl
    resource "kubernetes_service_account_v1" "etl" {
      metadata {
        name        = "etl"
        annotations = { owner = "team-data", requested_by = "alice", approved_by = "bob", change_ticket = "DATA-7" }
        namespace   = "data"
      }
    }
    ```
    """

    id = "NHI_APR_003"
    severity = Severity.HIGH
    title = "Non-human identity approved by its own requester"
    fix = "Have someone other than the requester approve it, and record that person in `approved_by`."

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        req, appr = approval.requester, approval.approver
        if not isinstance(appr, str) or approval.inherited:
            # Inherited metadata: the identity that names the approver carries the finding, once.
            return
        if isinstance(req, str) and same_person(req, appr, ctx.config.aliases):
            yield Violation(
                f"{kind_of(res)} {res.address} was approved by its requester ({appr}){approval.ledger_note}"
            )
        elif ctx.requester and same_person(ctx.requester, appr, ctx.config.aliases):
            yield Violation(
                f"{kind_of(res)} {res.address} was approved by {appr}, who is also requesting the change "
                f"({ctx.requester})"
            )
