from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.policy.people import same_person
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of, known_name, requesters
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of


class ProvisionerApproves(Rule):
    """## What it does
    When the config names the provisioner (`[approval]` `provisioner`: the pipeline role,
    user or app that applies changes), flags an identity whose approver or requester is
    that provisioner (including the config's `aliases`), or a change requested by it.

    ## Why is this bad?
    Separation of duties: who executes a change must not also be who asks for it or who
    approves it. A pipeline that requests and approves its own identities needs no human.

    ## Example
    ```toml
    [approval]
    provisioner = ["terraform-ci"]
    ```
    ```hcl
    tags = { owner = "team-platform", requested_by = "alice", approved_by = "terraform-ci", change_ticket = "CHG-1" }
    ```

    ## Use instead
    ```hcl
    tags = { owner = "team-platform", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
    ```
    """

    id = "NHI_APR_010"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Provisioner approves or requests its own change"
    fix = "Have a person who does not apply the change request and approve it."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        provisioners = ctx.config.approval.provisioner
        approval = approval_of(res, ctx)
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
