"""GitLab approval settings (gitlabhq/gitlab provider, checked against v16.0 to v19.1).

* ``gitlab_project_level_mr_approvals``: ``merge_requests_author_approval``,
  ``merge_requests_disable_committers_approval``, ``reset_approvals_on_push`` (default true). The
  project is ``project``; before v16.0 it was ``project_id``, and both are read.
* ``gitlab_group_level_mr_approvals`` (v18.4+; the resource the "group approval rule" feature request
  became): ``allow_author_approval``, ``allow_committer_approval``, ``retain_approvals_on_push``.
* ``gitlab_project_approval_rule``: ``approvals_required``, ``rule_type`` (``regular``,
  ``any_approver``, ``report_approver``), ``protected_branch_ids``, ``applies_to_all_protected_branches``.
* ``gitlab_project.allow_pipeline_trigger_approve_deployment`` (v18+).

The MR-approval settings have no provider default (Optional and Computed): a setting that is not
written is left as it is on GitLab, outside the code, so only written values are judged.
"""

from __future__ import annotations

from scanner.model.resource import Resource
from scanner.model.values import is_missing

MR_APPROVALS = ("gitlab_project_level_mr_approvals", "gitlab_group_level_mr_approvals")


def owner_attr(res: Resource) -> str:
    """The attribute naming the project or group the resource configures."""
    if res.type == "gitlab_group_level_mr_approvals":
        return "group"
    if res.type == "gitlab_project":
        return "name"
    if res.type == "gitlab_project_level_mr_approvals" and is_missing(res.get("project")):
        return "project_id"  # provider < 16.0
    return "project"


def owner_noun(res: Resource) -> str:
    return "group" if res.type == "gitlab_group_level_mr_approvals" else "project"
