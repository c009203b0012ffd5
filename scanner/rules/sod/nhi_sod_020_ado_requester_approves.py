from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, read_bool, read_str, target_label

_TARGETS = {
    "environment": "environment",
    "endpoint": "service connection",
    "queue": "agent pool",
    "repository": "repository",
    "securefile": "secure file",
    "variablegroup": "variable group",
}


class AzureDevOpsRequesterApproves(GateRule):
    """## What it does
    Flags an Azure DevOps approval check (`azuredevops_check_approval`, provider microsoft/azuredevops)
    with `requester_can_approve = true`. The provider's default is `false`.

    ## Why is this bad?
    The check guards an environment, a service connection, an agent pool, a variable group or a
    secure file: the thing a production deployment uses. With `requester_can_approve`, the person who
    queued the run approves it, so the approval records the requester twice and nobody else.

    ## Example
    ```hcl
    resource "azuredevops_check_approval" "production" {
      project_id            = azuredevops_project.app.id
      target_resource_id    = azuredevops_environment.production.id
      target_resource_type  = "environment"
      requester_can_approve = true
      approvers             = [azuredevops_group.release.origin_id]
    }
    ```

    ## Use instead
    ```hcl
    resource "azuredevops_check_approval" "production" {
      project_id            = azuredevops_project.app.id
      target_resource_id    = azuredevops_environment.production.id
      target_resource_type  = "environment"
      approvers             = [azuredevops_group.release.origin_id]
      requester_can_approve = false
    }
    ```
    """

    id = "NHI_SOD_020"
    severity = Severity.HIGH
    title = "Azure DevOps approval check lets the requester approve"
    fix = "Set `requester_can_approve = false`."
    resource_types = ("azuredevops_check_approval",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if read_bool(res.get("requester_can_approve"), False) is not True:
            return
        kind = read_str(res.get("target_resource_type"))
        noun = _TARGETS.get(kind or "", "resource")
        target = target_label(res, "target_resource_id", ctx)
        yield Violation(
            f"{res.address} sets requester_can_approve = true on {noun} {target}: "
            f"whoever queues a run that uses the {noun} approves it",
            path="requester_can_approve",
            key="requester-can-approve",
        )
