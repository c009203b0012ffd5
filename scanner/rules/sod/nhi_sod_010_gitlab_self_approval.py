from __future__ import annotations

from scanner.model.severity import Severity
from scanner.rules.sod.gitlab import ApprovalSettingRule

#: resource type -> (attribute, the value that lets the requester approve, who then approves what)
_SETTINGS: dict[str, tuple[tuple[str, bool, str], ...]] = {
    "gitlab_project_level_mr_approvals": (
        ("merge_requests_author_approval", True, "the author of a merge request approves it"),
        (
            "merge_requests_disable_committers_approval",
            False,
            "anyone who pushed a commit to a merge request, a bot included, approves it",
        ),
    ),
    "gitlab_group_level_mr_approvals": (
        ("allow_author_approval", True, "the author of a merge request approves it, in every project of the group"),
        (
            "allow_committer_approval",
            True,
            "anyone who pushed a commit to a merge request approves it, in every project of the group",
        ),
    ),
    "gitlab_project": (
        (
            "allow_pipeline_trigger_approve_deployment",
            True,
            "whoever triggers a pipeline approves its deployment to a protected environment",
        ),
    ),
}


class GitLabSelfApproval(ApprovalSettingRule):
    """## What it does
    Flags GitLab settings that let the requester approve their own change:

    * `gitlab_project_level_mr_approvals`: `merge_requests_author_approval = true` (authors approve their
      own merge requests) or `merge_requests_disable_committers_approval = false` (committers approve);
    * `gitlab_group_level_mr_approvals`: `allow_author_approval = true` or `allow_committer_approval = true`,
      for every project of the group;
    * `gitlab_project`: `allow_pipeline_trigger_approve_deployment = true` (the person who triggers a
      pipeline approves its deployment).

    Only settings written in the code are judged: these attributes have no provider default, and one
    that is not written keeps whatever GitLab has.

    ## Why is this bad?
    An approval rule that the author, or anyone who pushed to the branch, can satisfy is not a second
    pair of eyes. Committers include bots and pipeline users that push fix-up commits, so a pipeline
    that commits can also approve.

    ## Example
    ```hcl
    resource "gitlab_project_level_mr_approvals" "app" {
      merge_requests_author_approval             = true
      merge_requests_disable_committers_approval = false
      project                                    = gitlab_project.app.id
    }
    ```

    ## Use instead
    ```hcl
    resource "gitlab_project_level_mr_approvals" "app" {
      project                                    = gitlab_project.app.id
      merge_requests_author_approval             = false
      merge_requests_disable_committers_approval = true
    }
    ```
    """

    id = "NHI_SOD_010"
    severity = Severity.HIGH
    title = "GitLab lets the author or a committer approve their own change"
    fix = (
        "Set `merge_requests_author_approval = false` and `merge_requests_disable_committers_approval = true` "
        "(group: `allow_author_approval` and `allow_committer_approval` false; project: "
        "`allow_pipeline_trigger_approve_deployment = false`)."
    )
    resource_types = tuple(_SETTINGS)
    settings = _SETTINGS
