from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Violation
from scanner.rules.governance.helpers import GovernanceRule, kind_of, meta_hint, reportable_gap


class NoOwner(GovernanceRule):
    """## What it does
    Flags identities, credentials and secrets with no resolvable owner: no `owner`
    or `team` tag/label (after provider `default_tags`), no native `owners`, no
    `owner=` pair in the description, and nothing to inherit from the identity a
    credential belongs to.

    ## Why is this bad?
    An identity nobody owns is never reviewed, rotated or deleted (OWASP NHI1,
    Improper Offboarding). When it leaks, nobody knows who to call or whether it
    is still needed.

    ## Example
    ```hcl
    resource "aws_iam_role" "deployer" {
      name               = "deployer"
      assume_role_policy = data.aws_iam_policy_document.trust.json
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_iam_role" "deployer" {
      name               = "deployer"
      assume_role_policy = data.aws_iam_policy_document.trust.json
      tags = { owner = "team-platform" }
    }
    ```
    For `google_service_account`, which has no labels, write
    `description = "owner=team-platform"`.
    """

    id = "NHI_OWN_001"
    category = Category.OWNERSHIP
    severity = Severity.MEDIUM
    title = "Non-human identity has no owner"
    fix = "Add an owner (tag/label `owner` or `team`, native `owners`, or `owner=` in the description)."

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if reportable_gap(ctx.meta(res), "owner"):
            yield Violation(f"{kind_of(res)} {res.address} has no owner; set `owner` in {meta_hint(res)}")
