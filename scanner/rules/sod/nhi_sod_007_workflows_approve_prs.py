from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, read_bool, target_label
from scanner.rules.sod.github import WORKFLOW_PERMISSIONS

#: resource type -> (attribute naming the scope, noun)
_SCOPE = {
    "github_workflow_repository_permissions": ("repository", "repository"),
    "github_actions_organization_workflow_permissions": ("organization_slug", "every repository of organization"),
    "github_enterprise_actions_workflow_permissions": ("enterprise_slug", "every repository of enterprise"),
}


class WorkflowsApprovePullRequests(GateRule):
    """## What it does
    Flags GitHub Actions workflow permissions that let workflows approve pull requests:
    `can_approve_pull_request_reviews = true` in `github_workflow_repository_permissions` (a
    repository), `github_actions_organization_workflow_permissions` (an organization) or
    `github_enterprise_actions_workflow_permissions` (an enterprise). The provider's default is `false`.

    ## Why is this bad?
    With this setting a workflow's `GITHUB_TOKEN` can submit an approving review. Anyone who can run a
    workflow, or change one in a pull request that runs with that token, gets an approval from
    `github-actions[bot]`; one required review is then satisfied by the pipeline itself. GitHub's own
    documentation calls enabling it a security risk.

    ## Example
    ```hcl
    resource "github_workflow_repository_permissions" "app" {
      repository                       = github_repository.app.name
      default_workflow_permissions     = "write"
      can_approve_pull_request_reviews = true
    }
    ```

    ## Use instead
    ```hcl
    resource "github_workflow_repository_permissions" "app" {
      repository                       = github_repository.app.name
      can_approve_pull_request_reviews = false
      default_workflow_permissions     = "read"
    }
    ```
    """

    id = "NHI_SOD_007"
    severity = Severity.HIGH
    title = "GitHub Actions workflows can approve pull requests"
    fix = "Set `can_approve_pull_request_reviews = false`; bots may open pull requests, people approve them."
    resource_types = WORKFLOW_PERMISSIONS

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if read_bool(res.get("can_approve_pull_request_reviews"), False) is not True:
            return
        attr, noun = _SCOPE[res.type]
        yield Violation(
            f"{res.address} sets can_approve_pull_request_reviews = true: workflows (github-actions[bot], "
            f"driven by whoever can run or edit a workflow) can approve pull requests in {noun} "
            f"{target_label(res, attr, ctx)}, so a required review can come from the pipeline itself",
            path="can_approve_pull_request_reviews",
            key="workflows-approve",
        )
