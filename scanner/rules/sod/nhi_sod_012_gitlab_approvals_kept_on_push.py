from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.sod.gates import read_bool, target_label
from scanner.rules.sod.gitlab import MR_APPROVALS, owner_attr, owner_noun

#: resource type -> (attribute, the value that keeps approvals after a push)
_SETTING = {
    "gitlab_project_level_mr_approvals": ("reset_approvals_on_push", False),
    "gitlab_group_level_mr_approvals": ("retain_approvals_on_push", True),
}


class GitLabApprovalsKeptOnPush(Rule):
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
    resource "gitlab_project_level_mr_approvals" "app" {
      project                 = gitlab_project.app.id
      reset_approvals_on_push = false
    }
    ```

    ## Use instead
    ```hcl
    resource "gitlab_project_level_mr_approvals" "app" {
      project                 = gitlab_project.app.id
      reset_approvals_on_push = true
    }
    ```
    """

    id = "NHI_SOD_012"
    category = Category.APPROVAL
    severity = Severity.MEDIUM
    title = "GitLab keeps approvals after new commits are pushed"
    fix = "Set `reset_approvals_on_push = true` (group: `retain_approvals_on_push = false`)."
    resource_types = MR_APPROVALS

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        attr, bad = _SETTING[res.type]
        if read_bool(res.get(attr)) is not bad:
            return
        yield Violation(
            f"{res.address} sets {attr} = {str(bad).lower()} for {owner_noun(res)} "
            f"{target_label(res, owner_attr(res), ctx)}: commits pushed after an approval merge on its strength, "
            "unseen by the approver",
            path=attr,
            key=attr,
        )
