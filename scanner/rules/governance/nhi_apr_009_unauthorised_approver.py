from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.people import placeholder_reason, same_person
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval, authorisation_problem
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class UnauthorisedApprover(ApprovalRule):
    """## What it does
    When the config says who may approve (`[approval]` `approvers`: logins and
    `@org/team` teams, and/or `codeowners = true`: a code owner of the identity's file per
    CODEOWNERS), flags an identity whose approver is not one of them. A team whose members
    are not known (the GitHub Action resolves them; elsewhere pass `--teams FILE`) cannot
    rule anyone out, so it produces no finding. A placeholder approver (NHI_APR_008) and
    the provisioner as approver (NHI_APR_010) are reported by those rules instead.

    ## Why is this bad?
    Anyone can approve a pull request they can see. An identity that reaches production
    data needs the approval of someone accountable for it: the security team, or the owners
    of that code.

    ## Example
    Only bob and carol may approve, and dave approved:
    ```toml
    [approval]
    approvers = ["bob", "carol"]
    ```
    ```hcl
    resource "aws_iam_user" "reporting" {
      name = "reporting"
      tags = { owner = "team-data", requested_by = "alice", approved_by = "dave", change_ticket = "CHG-1" }
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_user" "reporting" {
      name = "reporting"
      tags = { owner = "team-data", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
    }
    ```
    """

    id = "NHI_APR_009"
    severity = Severity.HIGH
    title = "Approver is not allowed to approve this identity"
    fix = "Have one of the allowed approvers (or a code owner of the file) approve it."

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        name = approval.named_approver
        if name is None or placeholder_reason(name):
            return  # a placeholder is NHI_APR_008's
        if any(same_person(name, p, ctx.config.aliases) for p in ctx.config.approval.provisioner):
            return  # the provisioner approving is NHI_APR_010's
        problem = authorisation_problem(name, res, ctx)
        if problem:
            yield Violation(f"{kind_of(res)} {res.address}: {problem}")
