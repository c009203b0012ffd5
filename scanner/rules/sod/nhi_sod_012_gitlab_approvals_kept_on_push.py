from __future__ import annotations

from scanner.model.severity import Severity
from scanner.rules.sod.gitlab import MR_APPROVALS, ApprovalSettingRule

_KEPT = "commits pushed after an approval merge on its strength, unseen by the approver"


class GitLabApprovalsKeptOnPush(ApprovalSettingRule):
    """## What it does
    Flags GitLab merge-request approval settings that keep approvals when new commits are pushed:
    `reset_approvals_on_push = false` in `gitlab_project_level_mr_approvals` (the provider's default is
    `true`) or `retain_approvals_on_push = true` in `gitlab_group_level_mr_approvals`.

    `selective_code_owner_removals = true` resets only the approvals of code owners whose files
    changed; other approvals still stay, so it is reported too.

    ## Why is this bad?
    An approval covers the commits the approver saw. When it survives a push, the author (or a bot
    that pushes to the branch) adds commits after the approval and merges them unreviewed: the
    approver approved something else.

    ## Example
    ```hcl
    resource "gitlab_group_level_mr_approvals" "platform" {
      group                    = "platform"
      retain_approvals_on_push = true
    }
    ```

    ## Use instead
    ```hcl
    resource "gitlab_group_level_mr_approvals" "platform" {
      retain_approvals_on_push = false
      group                    = "platform"
    }
    ```
    """

    id = "NHI_SOD_012"
    severity = Severity.MEDIUM
    title = "GitLab keeps approvals after new commits are pushed"
    fix = "Set `reset_approvals_on_push = true` (group: `retain_approvals_on_push = false`)."
    resource_types = MR_APPROVALS
    settings = {
        "gitlab_project_level_mr_approvals": (("reset_approvals_on_push", False, _KEPT),),
        "gitlab_group_level_mr_approvals": (("retain_approvals_on_push", True, _KEPT),),
    }
