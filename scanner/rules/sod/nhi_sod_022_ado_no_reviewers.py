from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.sod.azuredevops import MIN_REVIEWERS, production_policy
from scanner.rules.sod.gates import branch_label, read_bool, read_int

COUNT = "settings.0.reviewer_count"


class AzureDevOpsNoReviewers(Rule):
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
    ```hcl
    resource "azuredevops_branch_policy_min_reviewers" "main" {
      project_id = azuredevops_project.app.id

      settings {
        reviewer_count = 0

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
      enabled    = true
      blocking   = true

      settings {
        reviewer_count     = 1
        submitter_can_vote = false

        scope {
          match_type = "DefaultBranch"
        }
      }
    }
    ```
    """

    id = "NHI_SOD_022"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Azure DevOps branch policy on a production branch requires no reviewer"
    fix = "Set `reviewer_count` to at least 1, with `enabled = true` and `blocking = true`."
    resource_types = (MIN_REVIEWERS,)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        entries = production_policy(res, ctx)
        if not entries:
            return
        where = branch_label(entries)
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
                + (
                    ": the author completes their own pull request with no approval"
                    if count == 0
                    else f"; the policy asks for {wanted} (approval_gates.min_approvals)"
                ),
                path=COUNT,
                key="reviewer-count",
            )
