from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.azuredevops import BranchPolicyRule
from scanner.rules.sod.gates import read_bool, read_int, shortfall

COUNT = "settings.0.reviewer_count"


class AzureDevOpsNoReviewers(BranchPolicyRule):
    """## What it does
    Flags an Azure DevOps minimum-reviewers branch policy (`azuredevops_branch_policy_min_reviewers`)
    on a production branch that requires no approval: `reviewer_count` below
    `approval_gates.min_approvals` (1 by default), or the policy switched off (`enabled = false`) or
    made optional (`blocking = false`).

    Production branches are those the config names (`approval_gates.production_branches`; a scope with
    `match_type = "DefaultBranch"` is the default branch).

    ## Why is this bad?
    A policy that asks for zero reviewers, or does not block completion, lets the author complete their
    own pull request into the production branch, and so does a pipeline that opens pull requests.

    ## Example
    A policy that asks for two reviewers but does not block completion:
    ```hcl
    resource "azuredevops_branch_policy_min_reviewers" "main" {
      project_id = azuredevops_project.app.id
      blocking   = false

      settings {
        reviewer_count = 2

        scope {
          repository_id  = azuredevops_git_repository.app.id
          repository_ref = "refs/heads/main"
          match_type     = "Exact"
        }
      }
    }
    ```

    ## Use instead
    Leave `enabled` and `blocking` at their default, `true`:
    ```hcl
    resource "azuredevops_branch_policy_min_reviewers" "main" {
      project_id = azuredevops_project.app.id

      settings {
        scope {
          repository_id  = azuredevops_git_repository.app.id
          repository_ref = "refs/heads/main"
          match_type     = "Exact"
        }
        reviewer_count             = 2
        last_pusher_cannot_approve = true
      }
    }
    ```
    """

    id = "NHI_SOD_022"
    severity = Severity.HIGH
    title = "Azure DevOps branch policy on a production branch requires no reviewer"
    fix = "Set `reviewer_count` to at least 1, with `enabled = true` and `blocking = true`."

    def check_policy(self, res: Resource, where: str, ctx: Context) -> Iterable[Violation]:
        for attr in ("enabled", "blocking"):
            if read_bool(res.get(attr), True) is False:
                yield Violation(
                    f"{res.address} sets {attr} = false on {where}: pull requests complete without the "
                    "required reviewers' approval, the author's alone",
                    path=attr,
                    key=attr,
                )
                return
        count = read_int(res.get(COUNT))
        wanted = ctx.config.approval_gates.min_approvals
        if count is not None and count < wanted:
            yield Violation(
                f"{res.address} requires {count} reviewer(s) on {where} (reviewer_count = {count})"
                + shortfall(count, wanted, "the author completes their own pull request with no approval"),
                path=COUNT,
                key="reviewer-count",
            )
