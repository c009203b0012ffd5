from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.policy.people import same_person
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of


class SelfApproval(Rule):
    """## What it does
    Flags identities, credentials and secrets whose `approved_by` is the same person
    as `requested_by`, including aliases declared in the config (`aliases`). When the
    scan knows who asks for the change (`--requester`, set to the pull request's author
    by the GitHub Action), an `approved_by` naming that person is flagged too.

    ## Why is this bad?
    Separation of duties: a requester approving their own machine identity is no
    approval at all. It is how over-privileged CI users get created "temporarily".

    ## Example
    ```hcl
    tags = { requested_by = "alice", approved_by = "alice" }
    ```

    ## Use instead
    ```hcl
    tags = { requested_by = "alice", approved_by = "bob" }
    ```
    """

    id = "NHI_APR_003"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Non-human identity approved by its own requester"
    fix = "Have someone other than the requester approve it, and record that person in `approved_by`."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        approval = approval_of(res, ctx)
        req, appr = approval.requester, approval.approver
        if not isinstance(appr, str) or approval.inherited:
            # Inherited metadata: the identity that names the approver carries the finding, once.
            return
        if isinstance(req, str) and same_person(req, appr, ctx.config.aliases):
            where = f" (approval ledger {approval.where})" if approval.entry is not None else ""
            yield Violation(f"{kind_of(res)} {res.address} was approved by its requester ({appr}){where}")
        elif ctx.requester and same_person(ctx.requester, appr, ctx.config.aliases):
            yield Violation(
                f"{kind_of(res)} {res.address} was approved by {appr}, who is also requesting the change "
                f"({ctx.requester})"
            )
