from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import iter_blocks
from scanner.rules.base import Context, Violation
from scanner.rules.sod.azuredevops import MIN_REVIEWERS, enforced, production_policy
from scanner.rules.sod.gates import GateRule, branch_label, in_scope, production_environment, read_int, read_str
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    RULESETS,
    environment_reviewers,
    review_count,
    reviews_elsewhere,
)
from scanner.rules.sod.weakening import reviewed_production

ENVIRONMENT = "github_repository_environment"
_POLICY_COUNT = "settings.0.reviewer_count"
_REPOSITORY_IDS = ("name", "full_name", "node_id", "repo_id")


class PlanDeletesApprovalGate(GateRule):
    r"""## What it does
    Flags a plan that destroys an approval gate that required reviews on a production branch or
    environment, when nothing else in the plan takes its place:

    * a GitHub branch protection (`github_branch_protection`, `github_branch_protection_v3`) or an
      active ruleset (`github_repository_ruleset`, `github_organization_ruleset`) whose pull-request
      reviews covered a production branch, unless another protection or ruleset of the same
      repository, created or kept by the plan, requires at least as many reviews on every one of
      those branches;
    * a production `github_repository_environment` with reviewers, unless the plan keeps or creates
      an environment of the same name in the same repository;
    * an enforced Azure DevOps `azuredevops_branch_policy_min_reviewers` on a production branch,
      unless another enforced policy in the plan requires as many reviewers on the same branches.

    What replaces the gate is judged by the other rules (NHI_SOD_001, 004, 006, 020 to 022). A gate
    destroyed with the repository or project it guards (`github_repository`,
    `azuredevops_git_repository`, `azuredevops_project`: a repository retired, `terraform plan
    -destroy`) leaves nothing to merge into or deploy from: not reported. Gates deleted by a
    `removed` block with `destroy = false` (`forget`) stay in place and are not reported; nor are
    GitLab approval settings and rules, Azure DevOps approval checks and CodeCommit templates, whose
    deletion restores a platform default this rule cannot read.

    ## Why is this bad?
    Deleting the gate is the shortest way to "let the pipeline ship without waiting", and a plan
    shows it as one line among many. GitHub even creates an environment that a workflow names when it
    does not exist, with no protection rules, so deleting a production environment removes its
    reviewers and keeps deployments running. Drafts that drop approvals are blocked.

    ## Example
    The plan destroys the protection of `main`, and nothing else protects it:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "github_branch_protection.main",
      "mode": "managed", "type": "github_branch_protection", "name": "main",
      "change": {"actions": ["delete"], "after": null, "before": {"repository_id": "app",
        "pattern": "main", "required_pull_request_reviews": [{"required_approving_review_count": 2}]}}}]}
    ```

    ## Use instead
    Keep the gate, or move it in the same change: here a ruleset takes over `main` with as many
    reviews.
    ```json
    {"format_version": "1.2", "resource_changes": [
      {"address": "github_branch_protection.main", "mode": "managed", "name": "main",
       "type": "github_branch_protection", "change": {"actions": ["delete"], "after": null,
       "before": {"pattern": "main", "repository_id": "app",
                  "required_pull_request_reviews": [{"required_approving_review_count": 2}]}}},
      {"address": "github_repository_ruleset.main", "mode": "managed", "name": "main",
       "type": "github_repository_ruleset", "change": {"actions": ["create"], "before": null,
       "after": {"name": "main", "repository": "app", "target": "branch", "enforcement": "active",
                 "conditions": [{"ref_name": [{"include": ["refs/heads/main"], "exclude": []}]}],
                 "rules": [{"pull_request": [{"required_approving_review_count": 2}]}]}}}]}
    ```
    A gate deleted on purpose (a repository archived) is waived with a reason and an expiry.
    """

    id = "NHI_SOD_051"
    severity = Severity.HIGH
    title = "Plan deletes an approval gate"
    fix = "Keep the gate, or replace it in the same change with one that requires as many reviews on the same branches."
    resource_types = (*BRANCH_PROTECTIONS, *RULESETS, ENVIRONMENT, MIN_REVIEWERS)
    needs_plan = True
    judges_deletes = True
    in_checkov = False
    checkov_note = "Checkov's plan runner shows only the resources that exist after the plan; a deleted gate is not one"

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.action != "delete" or _guarded_deleted(res, ctx):
            return
        if res.type == ENVIRONMENT:
            yield from _environment(res, ctx)
            return
        entries = reviewed_production(res, ctx)
        if not entries:
            return
        if res.type == MIN_REVIEWERS:
            count = read_int(res.get(_POLICY_COUNT)) or 1
            if _policy_elsewhere(res, entries, count, ctx):
                return
            what = f"{count} reviewer(s)"
        else:
            count = review_count(res) or 1
            if reviews_elsewhere(res, count, ctx, replacing=True):
                return
            what = f"{count} approving review(s)"
        yield Violation(
            f"the plan deletes {res.address}, which required {what} on {branch_label(entries)} "
            "(production), and nothing else in the plan requires as many there: after apply, "
            "the author merges their own change with no one else's approval",
            key="deleted",
        )


def _environment(res: Resource, ctx: Context) -> Iterable[Violation]:
    name = read_str(res.get("environment"))
    if name is None or not production_environment(name, ctx.config.approval_gates):
        return
    if not environment_reviewers(res.get("reviewers")):
        return  # it required no one: NHI_SOD_006 said so while it existed
    repository = read_str(res.get("repository"))
    for other in in_scope(res, ctx, ENVIRONMENT):
        if read_str(other.get("environment")) == name and read_str(other.get("repository")) in (repository, None):
            return  # kept or re-created: NHI_SOD_006 judges it
    yield Violation(
        f"the plan deletes {res.address}, production environment `{name}` with required reviewers: GitHub "
        "re-creates an environment a workflow names, with no protection rules, so deployments to it then "
        "run, and use its secrets, with no one's approval",
        key="deleted",
    )


#: per gate type: (its attribute that names what it guards, the type named, that type's identifying attributes)
_GUARDS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    **dict.fromkeys(
        (*BRANCH_PROTECTIONS, "github_repository_ruleset"),
        (("repository_id", "github_repository", _REPOSITORY_IDS), ("repository", "github_repository", _REPOSITORY_IDS)),
    ),
    ENVIRONMENT: (("repository", "github_repository", _REPOSITORY_IDS),),
    MIN_REVIEWERS: (
        ("project_id", "azuredevops_project", ("id", "name")),
        ("settings.0.scope.*.repository_id", "azuredevops_git_repository", ("id",)),
    ),
}


def _guarded_deleted(res: Resource, ctx: Context) -> bool:
    """The plan destroys the repository or project the deleted gate guards (not replaces it: a
    replacement is no deletion), so the gate goes with what it protected. Matched by the values the
    gate held (a plan's *before* is known), in the gate's own module scope; a policy scoped to
    several repositories, only when all of them go."""
    scope = ctx.model.scope(res)
    for attr, rtype, keys in _GUARDS.get(res.type, ()):
        if "*" in attr:
            head, tail = attr.split(".*.")
            values = [b.get(tail) for b in iter_blocks(res.get(head))]
        else:
            values = [res.get(attr)]
        wanted = [v.lower() for v in values if isinstance(v, str) and v]
        if not wanted or len(wanted) < len(values):
            continue
        gone = {
            str(v).lower()
            for other in ctx.model.deleted
            if other.type == rtype and ctx.model.scope(other) == scope
            for k in keys
            if isinstance(v := other.get(k), str | int) and not isinstance(v, bool)
        }
        if all(w in gone for w in wanted):
            return True
    return False


def _policy_elsewhere(res: Resource, entries: list[str], count: int, ctx: Context) -> bool:
    """Another enforced minimum-reviewer policy of the plan requires ``count`` reviewers on ``entries``."""
    repository = res.get("settings.0.scope.0.repository_id")
    for other in in_scope(res, ctx, MIN_REVIEWERS):
        if enforced(other) is not True or (read_int(other.get(_POLICY_COUNT)) or 0) < count:
            continue
        if other.get("settings.0.scope.0.repository_id") != repository:
            continue
        covered = production_policy(other, ctx) or []
        if all(entry in covered for entry in entries):
            return True
    return False
