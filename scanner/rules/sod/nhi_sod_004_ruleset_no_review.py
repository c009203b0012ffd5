from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, shortfall
from scanner.rules.sod.github import RULESETS, review_count, reviews_elsewhere, ruleset_branches, ruleset_label

COUNT = "rules.0.pull_request.0.required_approving_review_count"
NOBODY = "the author opens and merges their own pull request with no one else's approval"


class RulesetNoReview(GateRule):
    """## What it does
    Flags an active GitHub branch ruleset (`github_repository_ruleset`, `github_organization_ruleset`)
    whose `pull_request` rule requires fewer approving reviews than `approval_gates.min_approvals`
    (1 by default) on a production branch. The provider's default for `required_approving_review_count`
    is `0`, so a `pull_request` block without it is reported.

    Gates stack: when a branch protection or another active ruleset of the scan on the same repository
    (or an organization ruleset whose `repository_name` condition includes it) requires enough reviews
    on the same production branches, nothing is reported. Rulesets whose enforcement is `disabled` or
    `evaluate`, whose conditions are known only at apply, or that do not reach a production branch
    (`approval_gates.production_branches`) are not judged.

    ## Why is this bad?
    A `pull_request` rule with zero approvals forces a pull request but not a reviewer: the author opens
    it and merges it. It looks like a gate in review and lets the requester, or a bot that opens pull
    requests, ship alone.

    ## Example
    ```hcl
    resource "github_repository_ruleset" "main" {
      name        = "main"
      repository  = github_repository.app.name
      target      = "branch"
      enforcement = "active"

      conditions {
        ref_name {
          include = ["~DEFAULT_BRANCH"]
          exclude = []
        }
      }

      rules {
        pull_request {
          required_approving_review_count = 0
        }
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "github_repository_ruleset" "main" {
      repository  = github_repository.app.name
      name        = "main"
      target      = "branch"
      enforcement = "active"

      rules {
        pull_request { required_approving_review_count = 1 }
      }

      conditions {
        ref_name {
          include = ["~DEFAULT_BRANCH"]
          exclude = []
        }
      }
    }
    ```
    """

    id = "NHI_SOD_004"
    severity = Severity.HIGH
    title = "Ruleset's pull-request rule on a production branch requires no approving review"
    fix = "Set `required_approving_review_count` of the ruleset's `pull_request` rule to at least 1."
    resource_types = RULESETS
    cross_resource = True  # other rulesets of the repository, and its default branch

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        count = review_count(res)
        wanted = ctx.config.approval_gates.min_approvals
        if count is None or count >= wanted:
            return
        entries = ruleset_branches(res, ctx)
        if not entries or reviews_elsewhere(res, wanted, ctx):
            return
        yield Violation(
            f"{res.address} has a pull_request rule requiring {count} approving review(s) on "
            f"{ruleset_label(res, entries)} (required_approving_review_count = {count})"
            + shortfall(count, wanted, NOBODY),
            path=COUNT,
            key="review-count",
        )

