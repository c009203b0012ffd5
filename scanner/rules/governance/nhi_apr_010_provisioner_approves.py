from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.people import same_person
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval, known_name, requesters
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class ProvisionerApproves(ApprovalRule):
    """## What it does
    When the config names the provisioner (`[approval]` `provisioner`: the pipeline role,
    user or app that applies changes), flags an identity whose approver or requester is
    that provisioner (including the config's `aliases`), or a change requested by it.

    ## Why is this bad?
    Separation of duties: who executes a change must not also be who asks for it or who
    approves it. A pipeline that requests and approves its own identities needs no human.

    ## Example
    The pipeline that applies the change is named as its approver:
    ```hcl
    resource "azuread_service_principal" "etl" {
      client_id = azuread_application.etl.client_id
      notes     = "owner=team-data requested_by=alice approved_by=terraform-ci ticket=CHG-1"
    }
    ```
    ```toml
    [approval]
    provisioner = ["terraform-ci"]
    ```

    ## Use instead
    ```hcl
    resource "azuread_service_principal" "etl" {
      client_id = azuread_application.etl.client_id
      owners    = [data.azuread_client_config.current.object_id]
      notes     = "owner=team-data requested_by=alice approved_by=bob ticket=CHG-1"
    }
    ```
    """

    id = "NHI_APR_010"
    severity = Severity.HIGH
    title = "Provisioner approves or requests its own change"
    fix = "Have a person who does not apply the change request and approve it."

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        provisioners = ctx.config.approval.provisioner
        if not provisioners or approval.inherited:
            return
        aliases = ctx.config.aliases
        roles = [("approver", known_name(approval.approver))] + [("requester", r) for r in requesters(approval, ctx)]
        for role, name in roles:
            match = next((p for p in provisioners if name and same_person(name, p, aliases)), None)
            if name and match:
                yield Violation(
                    f"{kind_of(res)} {res.address}: its {role} {name} is the provisioner ({match}) that applies it",
                    key=f"{role}:{name.lower()}",
                )
