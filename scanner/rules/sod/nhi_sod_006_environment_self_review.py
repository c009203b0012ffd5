from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, production_environment, read_bool, read_str, setting
from scanner.rules.sod.github import environment_reviewers


class EnvironmentSelfReview(GateRule):
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
      repository  = github_repository.app.name
      environment = "production"
      reviewers { teams = [github_team.release.id] }

      prevent_self_review = true
    }
    ```
    """

    id = "NHI_SOD_006"
    severity = Severity.HIGH
    title = "Production environment deploys without an independent approval"
    fix = "Add `reviewers` (users or teams) and set `prevent_self_review = true`."
    resource_types = ("github_repository_environment",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        name = read_str(res.get("environment"))
        if name is None or not production_environment(name, ctx.config.approval_gates):
            return
        count = environment_reviewers(res.get("reviewers"))
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
