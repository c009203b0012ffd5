from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, pattern_label, read_bool, setting, target_label
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    LAST_PUSH_SETTING,
    RULESET_LAST_PUSH_SETTING,
    RULESETS,
    automations_that_push,
    covered_elsewhere,
    protected_branches,
    protection_pattern,
    repo_attr,
    requires_last_push,
    review_count,
    ruleset_branches,
    ruleset_label,
)


class LastPushApprovalOff(GateRule):
    """## What it does
    Flags a GitHub branch protection (`github_branch_protection`, `github_branch_protection_v3`) or an
    active branch ruleset's `pull_request` rule (`github_repository_ruleset`, `github_organization_ruleset`)
    on a production branch that requires reviews but not `require_last_push_approval` (the provider's
    default is `false`), when the same scan gives an automation write access to the repository:

    * a deploy key with `read_only = false` (`github_repository_deploy_key`);
    * workflows whose `GITHUB_TOKEN` writes by default: `default_workflow_permissions = "write"` in
      `github_workflow_repository_permissions` for the repository, or in
      `github_actions_organization_workflow_permissions` / `github_enterprise_actions_workflow_permissions`
      unless the repository's own setting is `read`.

    Only what the code shows counts: without such an automation in the scan, the rule stays silent.
    Nor is a gate reported when another gate of the same repository that GitHub applies with it (a
    ruleset next to a protection) requires last-push approval on the same branches.

    ## Why is this bad?
    An approval is given to the commits a reviewer saw. Without last-push approval, a commit pushed
    afterwards (by a person, or by the automation on anyone's behalf) merges on the strength of that
    earlier approval, or is approved by the very person who pushed it. The pipeline that pushes becomes
    its own reviewer.

    ## Example
    A deploy key that can push to the repository, and reviews on `main` that do not require approval of
    the last push:
    ```hcl
    resource "github_repository_deploy_key" "release_bot" {
      repository = "app"
      title      = "release-bot"
      key        = var.release_bot_public_key
      read_only  = false
    }

    resource "github_branch_protection" "main" {
      repository_id = "app"
      pattern       = "main"

      required_pull_request_reviews {
        required_approving_review_count = 1
      }
    }
    ```

    ## Use instead
    Keep the deploy key if the release needs it, and require a fresh approval after the last push:
    ```hcl
    resource "github_branch_protection" "main" {
      repository_id  = "app"
      pattern        = "main"
      enforce_admins = true

      required_pull_request_reviews {
        required_approving_review_count = 1
        require_last_push_approval      = true
      }
    }

    resource "github_repository_deploy_key" "release_bot" {
      repository = "app"
      title      = "release-bot"
      key        = var.release_bot_public_key
      read_only  = false
    }
    ```
    """

    id = "NHI_SOD_002"
    severity = Severity.MEDIUM
    title = "Last push needs no fresh approval while an automation can push"
    fix = (
        "Set `require_last_push_approval = true` in `required_pull_request_reviews` (or make the "
        "automation read-only)."
    )
    resource_types = (*BRANCH_PROTECTIONS, *RULESETS)
    cross_resource = True  # the automations are other resources of the scan

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        count = review_count(res)
        if count is None or count < 1:
            return
        ruleset = res.type in RULESETS
        path = RULESET_LAST_PUSH_SETTING if ruleset else LAST_PUSH_SETTING
        if read_bool(res.get(path), False) is not False:
            return
        entries = ruleset_branches(res, ctx) if ruleset else protected_branches(res, ctx)
        pushers = automations_that_push(res, ctx) if entries else []
        if not entries or not pushers or covered_elsewhere(res, ctx, requires_last_push):
            return
        where = (
            ruleset_label(res, entries)
            if ruleset
            else pattern_label(protection_pattern(res) or "", entries)
        )
        repo = (
            "the organization's repositories"
            if res.type == "github_organization_ruleset"
            else f"repository {target_label(res, repo_attr(res), ctx)}"
        )
        yield Violation(
            f"{res.address} does not require last-push approval on {where} ({setting(res, path, False)}), and "
            f"{', '.join(f'{r.address} ({why})' for r, why in pushers)} can push to {repo}: a commit pushed "
            "after the review, by a person or by that automation, merges without an approval from someone "
            "other than its pusher",
            path=path,  # the setting's line, or the reviews block's when it is not written
            key="last-push",
            related=[(r, f"an automation that can push ({why})") for r, why in pushers],
        )
