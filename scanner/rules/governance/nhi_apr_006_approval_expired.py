from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.governance.approval import Approval
from scanner.rules.governance.helpers import ApprovalRule, kind_of


class ApprovalExpired(ApprovalRule):
    """## What it does
    Flags an identity whose approval ledger entry has an `expires` date that has passed
    (`nhi-guard approve --expires DATE`, docs/approval.md).

    ## Why is this bad?
    A time-bounded approval ("for the migration, until March") is only a control if it
    ends. Past its date the identity keeps its access with no one having agreed to it.

    ## Example
    The ledger next to the `.tf` files (`module = "."`) approved the secret until March 31:
    ```toml
    version = 1

    [[approval]]
    module = "."
    address = "aws_secretsmanager_secret.migration"
    approved_on = 2026-01-10
    expires = 2026-03-31
    approved_by = "bob"
    ticket = "CHG-77"
    ```
    ```hcl
    resource "aws_secretsmanager_secret" "migration" {
      name                    = "legacy-db-migration"
      recovery_window_in_days = 7
      tags                    = { owner = "team-data" }
    }
    ```

    ## Use instead
    Remove the secret, or have it approved again with a new end date:
    ```sh
    nhi-guard approve . aws_secretsmanager_secret.migration --by bob --ticket CHG-901 --expires 2026-09-30
    ```
    """

    id = "NHI_APR_006"
    severity = Severity.MEDIUM
    title = "Approval has expired"
    fix = "Delete the identity, or renew its approval with `nhi-guard approve ... --expires DATE`."

    def check_approval(self, res: Resource, approval: Approval, ctx: Context) -> Iterable[Violation]:
        entry = approval.entry
        if entry is None or entry.expires is None or entry.expires >= ctx.today:
            return
        yield Violation(
            f"approval of {kind_of(res)} {res.address} by {entry.approved_by} ({entry.ticket}) expired on "
            f"{entry.expires.isoformat()} ({approval.where})",
            key=entry.expires.isoformat(),
        )
