from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of, meta_hint, reportable_gap


class NoApprover(Rule):
    """## What it does
    Flags identities, credentials and secrets with no `approved_by` metadata and no
    entry in the approval ledger (`nhi-guard approve`, docs/approval.md).

    ## Why is this bad?
    A non-human identity is access that outlives the change that created it. Without a
    recorded approver there is no evidence that anyone besides the author agreed to it,
    and no one to ask at the next access review.

    ## Example
    ```hcl
    resource "aws_iam_user" "ci" {
      name = "ci"
      tags = { owner = "team-platform" }
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_user" "ci" {
      name = "ci"
      tags = {
        owner         = "team-platform"
        requested_by  = "alice"
        approved_by   = "bob"
        change_ticket = "CHG-1234"
      }
    }
    ```
    """

    id = "NHI_APR_001"
    category = Category.APPROVAL
    severity = Severity.MEDIUM
    title = "Non-human identity has no approver"
    fix = (
        "Record who approved it: `nhi-guard approve` (the approval ledger), or tag/label `approved_by` "
        "(or `approved_by=` in the description)."
    )
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if approval_of(res, ctx).entry is None and reportable_gap(ctx.meta(res), "approved_by"):
            yield Violation(f"{kind_of(res)} {res.address} has no `approved_by`; set it in {meta_hint(res)}")
