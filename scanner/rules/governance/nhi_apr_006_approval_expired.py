from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of


class ApprovalExpired(Rule):
    """## What it does
    Flags an identity whose approval ledger entry has an `expires` date that has passed
    (`nhi-guard approve --expires DATE`, docs/approval.md).

    ## Why is this bad?
    A time-bounded approval ("for the migration, until March") is only a control if it
    ends. Past its date the identity keeps its access with no one having agreed to it.

    ## Example
    ```toml
    [[approval]]
    module = "infra"
    address = "aws_iam_role.migration"
    approved_by = "bob"
    ticket = "CHG-77"
    approved_on = 2026-01-10
    expires = 2026-03-31
    ```

    ## Use instead
    Remove the identity, or have it approved again with a new end date:
    ```sh
    nhi-guard approve infra aws_iam_role.migration --by bob --ticket CHG-901 --expires 2027-03-31
    ```
    """

    id = "NHI_APR_006"
    category = Category.APPROVAL
    severity = Severity.MEDIUM
    title = "Approval has expired"
    fix = "Delete the identity, or renew its approval with `nhi-guard approve ... --expires DATE`."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        approval = approval_of(res, ctx)
        entry = approval.entry
        if entry is None or entry.expires is None or entry.expires >= ctx.today:
            return
        yield Violation(
            f"approval of {kind_of(res)} {res.address} by {entry.approved_by} ({entry.ticket}) expired on "
            f"{entry.expires.isoformat()} ({approval.where})",
            key=entry.expires.isoformat(),
        )
