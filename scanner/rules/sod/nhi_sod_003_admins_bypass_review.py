from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, pattern_label, read_bool, setting
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    protected_branches,
    protection_pattern,
    requires_reviews,
)


class AdminsBypassReview(GateRule):
    """## What it does
    Flags a GitHub branch protection (`github_branch_protection`, `github_branch_protection_v3`) that
    requires pull-request reviews on a production branch but leaves `enforce_admins` off (`false`, the
    provider's default when it is not written).

    Production branches are those the config names (`approval_gates.production_branches`).

    ## Why is this bad?
    With `enforce_admins = false` the review requirement does not apply to repository administrators:
    an administrator merges their own change, and so does any token with admin rights, which is often
    the very token the pipeline or the Terraform provisioner uses. The gate then binds everyone except
    those who most need a second pair of eyes.

    ## Example
    ```hcl
    resource "github_branch_protection_v3" "main" {
      repository     = "app"
      branch         = "main"
      enforce_admins = false

      required_pull_request_reviews {
        required_approving_review_count = 1
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "github_branch_protection_v3" "main" {
      enforce_admins = true
      repository     = "app"
      branch         = "main"

      required_pull_request_reviews {
        required_approving_review_count = 1
      }
    }
    ```
    """

    id = "NHI_SOD_003"
    severity = Severity.MEDIUM
    title = "Administrators merge to a production branch without review"
    fix = "Set `enforce_admins = true`; give emergency access through a separate, audited break-glass path."
    resource_types = BRANCH_PROTECTIONS
    cross_resource = True  # the repository's default branch comes from github_branch_default

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        entries = protected_branches(res, ctx)
        if not entries or not requires_reviews(res):
            return
        if read_bool(res.get("enforce_admins"), False) is not False:
            return
        pattern = protection_pattern(res)
        yield Violation(
            f"{res.address} does not enforce its review requirement for administrators on "
            f"{pattern_label(pattern or '', entries)} ({setting(res, 'enforce_admins', False)}): a repository "
            "administrator, or an admin token a pipeline or Terraform uses, merges without approval",
            path="enforce_admins",
            key="enforce-admins",
        )
