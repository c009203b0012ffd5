from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.governance.dates import Expiry
from scanner.rules.governance.helpers import ExpiryRule, kind_of


class ExpiryInPast(ExpiryRule):
    """## What it does
    Flags an identity, credential or secret whose expiry date (`end_date`,
    `expiration_date`, `expire_time`, or an `expires` tag/label) is already in the
    past, or is not a valid ISO 8601 date.

    ## Why is this bad?
    An expired NHI that is still being created or changed is either dead code that keeps
    access alive, or a sign its review date was ignored (OWASP NHI1). An unreadable date
    is no expiry at all.

    ## Example
    ```hcl
    resource "aws_iam_user" "vendor" {
      name = "vendor-sync"
      tags = { owner = "team-a", expires = "2026-01-31" }
    }
    ```

    ## Use instead
    Renew it after a review, with a new date:
    ```hcl
    resource "aws_iam_user" "vendor" {
      name = "vendor-sync"
      tags = { owner = "team-a", expires = "2026-12-31", change_ticket = "CHG-88" }
    }
    ```
    """

    id = "NHI_EXP_001"
    severity = Severity.HIGH
    title = "Expiry date has passed or is not a date"
    fix = "Review the identity: delete it, or renew it with a new ISO 8601 expiry date after approval."

    def check_expiry(self, res: Resource, exp: Expiry, ctx: Context) -> Iterable[Violation]:
        if exp.inherited:  # the identity it inherits from carries the finding, once
            return
        if exp.value is None:
            yield Violation(
                f"{kind_of(res)} {res.address} has an expiry in {exp.label} that is not an ISO 8601 date",
                exp.path,
                key="invalid",
            )
        elif exp.value < ctx.today:
            yield Violation(
                f"{kind_of(res)} {res.address} expired on {exp.value.isoformat()} ({exp.label})", exp.path, key="past"
            )
