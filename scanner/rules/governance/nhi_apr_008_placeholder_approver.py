from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.policy.people import placeholder_reason
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of, known_name
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of


class PlaceholderApprover(Rule):
    """## What it does
    Flags an approver that is a placeholder rather than a person: `TBD`, `TODO`, `N/A`,
    `<name>`, `xxx`, `changeme` and the like, or an address at a domain reserved for
    examples (`bob@example.com`, `ops@acme.example`).

    ## Why is this bad?
    Asked to "add the approval tags", a chat assistant fills them in with whatever passes
    a presence check. A placeholder satisfies "has an approver" while nobody approved.

    ## Example
    ```hcl
    tags = { owner = "team-data", approved_by = "TBD", change_ticket = "CHG-1" }
    ```

    ## Use instead
    ```hcl
    tags = { owner = "team-data", approved_by = "bob", change_ticket = "CHG-1" }
    ```
    """

    id = "NHI_APR_008"
    category = Category.APPROVAL
    severity = Severity.MEDIUM
    title = "Approver is a placeholder"
    fix = "Name the person who approved it (and have them approve the pull request)."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        approval = approval_of(res, ctx)
        name = known_name(approval.approver)
        if name is None or approval.inherited:
            return
        reason = placeholder_reason(name)
        if reason:
            where = f" (approval ledger {approval.where})" if approval.entry is not None else ""
            yield Violation(f"{kind_of(res)} {res.address} names '{name}' as approver{where}: {reason}")
