from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown, is_missing, iter_blocks
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.sod.gates import production_environment, read_bool, read_str, setting


def _reviewers(res: Resource) -> int | None:
    """How many users and teams may approve; None when that is known only at apply.

    A reviewer whose ID is computed (``github_team.release.id``) still counts: the list is not empty.
    """
    value = res.get("reviewers")
    if isinstance(value, Unknown):
        return None
    total = 0
    for block in iter_blocks(value):
        for key in ("users", "teams"):
            items = block.get(key)
            if isinstance(items, Unknown):
                return None
            if isinstance(items, list):
                total += len(items)
    return total


class EnvironmentSelfReview(Rule):
    """## What it does
    Flags a production-like GitHub deployment environment (`github_repository_environment`) that
    either has no required reviewers (no `reviewers` block, or one with no `users` and no `teams`), or
    has reviewers but does not set `prevent_self_review = true`. The provider's default for
    `prevent_self_review` is `false` (the attribute exists from provider v6.0).

    An environment is production-like when its name matches `approval_gates.production_environments`
    (by default a word `prod`, `production` or `live`: `prod`, `eu-production`, `Live`, but not
    `non-prod` or `preprod`). Names known only at apply are not judged. Reviewers known only at apply
    (a `dynamic` block, a variable) do not stop the second finding: without `prevent_self_review`, the
    environment lets the requester approve, or nobody, whatever they turn out to be.

    ## Why is this bad?
    The environment is where a deployment waits for a person. Without reviewers nothing waits. With
    reviewers but without `prevent_self_review`, the person who triggered the run (who pushed the
    commit or started the workflow) approves their own deployment to production, provided they are
    among the reviewers, which in small teams they always are.

    ## Example
    ```hcl
    resource "github_repository_environment" "production" {
      repository  = github_repository.app.name
      environment = "production"

      reviewers {
        teams = [github_team.release.id]
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "github_repository_environment" "production" {
      repository          = github_repository.app.name
      environment         = "production"
      prevent_self_review = true
      can_admins_bypass   = false

      reviewers {
        teams = [github_team.release.id]
      }

      deployment_branch_policy {
        protected_branches     = true
        custom_branch_policies = false
      }
    }
    ```
    """

    id = "NHI_SOD_006"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Production environment deploys without an independent approval"
    fix = "Add `reviewers` (users or teams) and set `prevent_self_review = true`."
    resource_types = ("github_repository_environment",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        name = read_str(res.get("environment"))
        if name is None or not production_environment(name, ctx.config.approval_gates):
            return
        count = _reviewers(res)
        if count == 0:
            yield Violation(
                f"{res.address} is production environment `{name}` with no required reviewers: every "
                "workflow run allowed to use it deploys, and uses its secrets, with no one's approval",
                path="reviewers" if res.get("reviewers") else "environment",
                key="no-reviewers",
            )
            return
        if read_bool(res.get("prevent_self_review"), False) is not False:
            return
        # With self-review allowed the finding holds whatever the reviewers turn out to be: if there
        # are none, nobody approves at all.
        unknown = " (or, if the reviewers known only at apply are none, deploys with no approval)"
        yield Violation(
            f"{res.address} lets the person who triggers a deployment to production environment "
            f"`{name}` approve it ({setting(res, 'prevent_self_review', False)}): the requester is "
            "also the approver" + (unknown if count is None else ""),
            path="reviewers" if is_missing(res.get("prevent_self_review")) else "prevent_self_review",
            key="self-review",
        )
