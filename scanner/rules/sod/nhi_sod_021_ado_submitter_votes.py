from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.azuredevops import BranchPolicyRule, enforced
from scanner.rules.sod.gates import read_bool, read_int, setting

SUBMITTER = "settings.0.submitter_can_vote"
LAST_PUSHER = "settings.0.last_pusher_cannot_approve"


class AzureDevOpsSubmitterVotes(BranchPolicyRule):
    """## What it does
    Flags an enforced Azure DevOps minimum-reviewers branch policy
    (`azuredevops_branch_policy_min_reviewers`) on a production branch whose `settings` let the people
    who wrote the change approve it:

    * `submitter_can_vote = true`: the pull request's creator counts towards `reviewer_count`;
    * `last_pusher_cannot_approve` off (`false`, the provider's default when it is not written): whoever
      pushed last approves their own push (medium severity).

    A policy that requires no reviewer at all is NHI_SOD_022's finding, not this rule's.

    Production branches are those the config names (`approval_gates.production_branches`; a scope with
    `match_type = "DefaultBranch"` is the default branch).

    ## Why is this bad?
    With `submitter_can_vote`, a policy that asks for one reviewer is satisfied by the author alone. A
    last pusher who may approve can push a commit to someone else's pull request, or have a pipeline
    push it, and approve the result.

    ## Example
    ```hcl
    resource "azuredevops_branch_policy_min_reviewers" "main" {
      project_id = azuredevops_project.app.id

      settings {
        reviewer_count     = 1
        submitter_can_vote = true

        scope {
          match_type = "DefaultBranch"
        }
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "azuredevops_branch_policy_min_reviewers" "main" {
      project_id = azuredevops_project.app.id

      settings {
        submitter_can_vote         = false
        last_pusher_cannot_approve = true
        reviewer_count             = 1
        scope { match_type = "DefaultBranch" }
      }
    }
    ```
    """

    id = "NHI_SOD_021"
    severity = Severity.HIGH
    title = "Azure DevOps branch policy lets the author or last pusher approve"
    fix = "Set `submitter_can_vote = false` and `last_pusher_cannot_approve = true` in `settings`."

    def check_policy(self, res: Resource, where: str, ctx: Context) -> Iterable[Violation]:
        count = read_int(res.get("settings.0.reviewer_count"))
        if enforced(res) is not True or count is None or count < 1:
            return
        if read_bool(res.get(SUBMITTER), False) is True:
            yield Violation(
                f"{res.address} sets submitter_can_vote = true on {where}: the pull request's creator counts "
                "as one of its required reviewers and approves their own change",
                path=SUBMITTER,
                key="submitter-can-vote",
            )
        if read_bool(res.get(LAST_PUSHER), False) is False:
            yield Violation(
                f"{res.address} lets the last pusher approve on {where} ({setting(res, LAST_PUSHER, False)}): "
                "whoever pushed last, to someone else's pull request or through a pipeline, approves their own push",
                path=LAST_PUSHER,
                key="last-pusher",
                severity=Severity.MEDIUM,
            )
