from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.approval import approval_of, grants_change
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of

#: grant lines a message names before it says how many more there are
SHOWN = 10


class GrantsChangedSinceApproval(Rule):
    """## What it does
    Flags an identity whose grants are no longer the ones its approval ledger entry was
    written for (`nhi-guard approve`, docs/approval.md). The message names each grant added
    (`+ s3:PutObject on arn:aws:s3:::raw-bucket/*`) and removed (`- ...`).

    ## Why is this bad?
    An approval is for what the identity can do. A policy widened after the approval, in
    the same pull request or a later one, would otherwise keep the old approval: the ledger
    entry would vouch for access nobody agreed to.

    ## Example
    The ledger approved `s3:GetObject`, and the policy now also allows `s3:PutObject`:
    ```hcl
    resource "aws_iam_role_policy" "etl" {
      role   = aws_iam_role.etl.id
      policy = jsonencode({ Version = "2012-10-17", Statement = [{
        Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::raw-bucket/*"
      }] })
    }
    ```

    ## Use instead
    Have the change approved again, which rewrites the entry with the new grants:
    ```sh
    nhi-guard approve infra aws_iam_role.etl --by bob --ticket CHG-1234
    ```
    """

    id = "NHI_APR_005"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Grants changed since approval"
    fix = "Get the new grants approved (`nhi-guard approve`), or revert them to what was approved."
    resource_types = GOVERNED_TYPES
    cross_resource = True
    in_checkov = False
    checkov_note = (
        "It compares an identity's grants, as nhi-guard reads them from its own parse of the Terraform, with "
        "the digest in the approval ledger; Checkov's parse renders references differently, so the digests "
        "would not be comparable. Run `nhi-guard scan` for it."
    )

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        approval = approval_of(res, ctx)
        entry = approval.entry
        if entry is None:
            return
        change = grants_change(res, ctx, entry)
        if change is None:
            return
        added, removed = change
        lines = [f"+ {g}" for g in added] + [f"- {g}" for g in removed]
        shown = "; ".join(lines[:SHOWN]) + (f"; and {len(lines) - SHOWN} more" if len(lines) > SHOWN else "")
        what = shown or "the grants are worded differently by this version of nhi-guard"
        yield Violation(
            f"{kind_of(res)} {res.address}: grants changed since approval by {entry.approved_by} "
            f"({entry.ticket}, {entry.approved_on.isoformat()}, {approval.where}): {what}",
            key=entry.digest or "",
        )
