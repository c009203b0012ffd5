from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation


class InvalidWaiver(Rule):
    """## What it does
    Reports a waiver (inline `# nhi-guard:ignore` comment or `[[waivers]]` entry in the
    config) that is expired or lacks a reason, an owner or an expiry date. Such a waiver
    suppresses nothing, and this finding says why.

    ## Why is this bad?
    Exceptions without an owner and an end date become permanent. An expired exception
    that still silenced its finding would hide exactly the risk it was granted for.

    ## Example
    ```hcl
    resource "aws_iam_access_key" "ci" {
      # nhi-guard:ignore NHI_AWS_001 reason="legacy"
      user = aws_iam_user.ci.name
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_access_key" "ci" {
      # nhi-guard:ignore NHI_AWS_001 reason="vendor needs a key until OIDC lands" owner=team-platform expires=2026-12-31
      user = aws_iam_user.ci.name
    }
    ```
    Past its `expires` date the waiver is reported again, and the finding it silenced comes back.
    """

    id = "NHI_APR_004"
    category = Category.APPROVAL
    severity = Severity.MEDIUM
    title = "Waiver is expired or incomplete"
    fix = "Give the waiver a rule, reason, owner and a future `expires` date, or remove it."
    modes = ()  # produced by the engine while applying waivers, not per resource

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        return ()
    in_checkov = False
    checkov_note = (
        "It reports invalid *waivers*, which nhi-guard's engine applies across all findings; it is "
        "not a property of one resource. In Checkov, use `#checkov:skip` (Checkov's own "
        "suppression) or `# nhi-guard:ignore`, which the adapter honours."
    )
