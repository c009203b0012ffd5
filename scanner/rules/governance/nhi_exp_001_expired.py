from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.dates import expiry_of
from scanner.rules.governance.helpers import GOVERNED_TYPES, kind_of


class ExpiryInPast(Rule):
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
    tags = { owner = "team-a", expires = "2024-01-31" }
    ```

    ## Use instead
    ```hcl
    tags = { owner = "team-a", expires = "2027-01-31" }  # renewed after review
    ```
    """

    id = "NHI_EXP_001"
    category = Category.EXPIRY
    severity = Severity.HIGH
    title = "Expiry date has passed or is not a date"
    fix = "Review the identity: delete it, or renew it with a new ISO 8601 expiry date after approval."
    resource_types = GOVERNED_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        exp = expiry_of(res, ctx)
        if exp is None or exp.inherited:  # the identity it inherits from carries the finding, once
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
