from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_unknown
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, pattern_label, read_bool, read_int, shortfall
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    pattern_attr,
    protected_branches,
    protection_pattern,
    reviews_elsewhere,
)

REVIEWS = "required_pull_request_reviews"


class BranchProtectionNoReview(GateRule):
    """## What it does
    Flags a GitHub branch protection (`github_branch_protection`, `github_branch_protection_v3`) on a
    production branch that requires no approving review: the `required_pull_request_reviews` block is
    missing, or its `required_approving_review_count` is `0` (or below `approval_gates.min_approvals`).
    When the block is written without a count, the provider's default of 1 applies.

    Production branches are those the config names (`approval_gates.production_branches`; by default
    the repository's default branch, `main`, `master` and `release/*`). A protection whose pattern is
    known only at apply, or that locks the branch (`lock_branch = true`), is not reported, nor is one
    next to a ruleset of the scan that requires enough reviews on the same branches (GitHub applies both).

    ## Why is this bad?
    Without a required review the person who opens a pull request merges it, and so does any bot or
    pipeline token with write access: requester, approver and deployer are one identity. A chat
    assistant asked for a pipeline that "can ship without waiting" writes exactly this.

    ## Example
    ```hcl
    resource "github_branch_protection" "main" {
      repository_id = github_repository.app.node_id
      pattern       = "main"
      required_status_checks { contexts = ["ci"] }
    }
    ```

    ## Use instead
    ```hcl
    resource "github_branch_protection" "main" {
      repository_id  = github_repository.app.node_id
      pattern        = "main"
      enforce_admins = true
      required_status_checks { contexts = ["ci"] }

      required_pull_request_reviews {
        required_approving_review_count = 1
      }
    }
    ```
    """

    id = "NHI_SOD_001"
    severity = Severity.HIGH
    title = "Branch protection on a production branch requires no approving review"
    fix = (
        "Add `required_pull_request_reviews` with `required_approving_review_count` of at least 1 "
        "(and `require_last_push_approval = true`)."
    )
    resource_types = BRANCH_PROTECTIONS
    cross_resource = True  # the repository's default branch comes from github_branch_default

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        reviews = res.get(REVIEWS)
        wanted = ctx.config.approval_gates.min_approvals
        if is_unknown(reviews) or read_bool(res.get("lock_branch"), False) is not False:
            return
        count = read_int(res.get(f"{REVIEWS}.0.required_approving_review_count"), 1) if reviews else 0
        if count is None or count >= wanted:
            return
        entries = protected_branches(res, ctx)
        if not entries or reviews_elsewhere(res, wanted, ctx):
            return
        where = pattern_label(protection_pattern(res) or "", entries)
        if not reviews:
            yield Violation(
                f"{res.address} protects {where} without `{REVIEWS}`: whoever can push to it, a bot or "
                "pipeline token included, merges with no approving review",
                path=pattern_attr(res),
                key="no-reviews",
            )
            return
        yield Violation(
            f"{res.address} requires {count} approving review(s) on {where} "
            f"(required_approving_review_count = {count})"
            + shortfall(count, wanted, "the author merges their own pull request with no one else's approval"),
            path=f"{REVIEWS}.0.required_approving_review_count",
            key="review-count",
        )
