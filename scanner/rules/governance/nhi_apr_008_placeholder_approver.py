from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.people import placeholder_reason
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class PlaceholderApprover(ApprovalRule):
    """## What it does
    Flags an approver that is a placeholder rather than a person: `TBD`, `TODO`, `N/A`,
    `<name>`, `xxx`, `changeme` and the like, or an address at a domain reserved for
    examples (`bob@example.com`, `ops@acme.example`).

    ## Why is this bad?
    Asked to "add the approval tags", a chat assistant fills them in with whatever passes
    a presence check. A placeholder satisfies "has an approver" while nobody approved.

    ## Example
    ```hcl
    resource "azuread_application" "reporting" {
      display_name = "reporting"
      owners       = [data.azuread_client_config.current.object_id]
      notes        = "approved_by=TBD ticket=CHG-1"
    }
    ```

    ## Use instead
    ```hcl
    resource "azuread_application" "reporting" {
      display_name     = "reporting"
      owners           = [data.azuread_client_config.current.object_id]
      notes            = "approved_by=bob ticket=CHG-1"
      sign_in_audience = "AzureADMyOrg"
    }
    ```
    """

    id = "NHI_APR_008"
    severity = Severity.MEDIUM
    title = "Approver is a placeholder"
    fix = "Name the person who approved it (and have them approve the pull request)."

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        name = approval.named_approver
        reason = placeholder_reason(name) if name is not None else None
        if reason:
            yield Violation(f"{kind_of(res)} {res.address} names '{name}' as approver{approval.ledger_note}: {reason}")
