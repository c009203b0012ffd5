from __future__ import annotations

from collections.abc import Iterable, Mapping

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import GateRule, pattern_label
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    RULESETS,
    BypassActor,
    app_bypassers,
    bypass_actors,
    protected_branches,
    protection_pattern,
    pull_request_rule,
    requires_reviews,
    ruleset_branches,
    ruleset_enforced,
    ruleset_label,
)

#: who an actor type stands for, and how bad its unreviewed merge is
_ACTORS: dict[str, tuple[str, Severity]] = {
    "Integration": ("a GitHub App, such as the pipeline's own", Severity.HIGH),
    "DeployKey": ("every deploy key of the repository", Severity.HIGH),
    "RepositoryRole": ("everyone with that repository role", Severity.HIGH),
    "OrganizationAdmin": ("every organization owner", Severity.MEDIUM),
    "EnterpriseOwner": ("every enterprise owner", Severity.MEDIUM),
}
_MODES = {"always": "always", "exempt": "exempt, the rules never apply to it"}


class RulesetBypass(GateRule):
    """## What it does
    Flags a bot or a whole role that may skip a production branch's review requirement.

    In an active GitHub branch ruleset (`github_repository_ruleset`, `github_organization_ruleset`) with a
    `pull_request` rule, the `bypass_actors` that skip the rule at any time (`bypass_mode = "always"` or
    `"exempt"`) and are not a person:

    * `Integration`: a GitHub App, which is what a pipeline or a bot authenticates as;
    * `DeployKey`: any deploy key of the repository;
    * `RepositoryRole`: everyone with a base role (`actor_id` 2 maintain, 4 write; 5 admin at medium
      severity);
    * `OrganizationAdmin` and `EnterpriseOwner` (medium severity).

    In a branch protection that requires reviews, the GitHub Apps allowed to bypass them:
    `pull_request_bypassers` entries that reference a `data "github_app"` (`github_branch_protection`), and
    `bypass_pull_request_allowances.apps` (`github_branch_protection_v3`).

    Named `User` and `Team` actors are accountable break-glass paths and are not reported, nor is
    `bypass_mode = "pull_request"`, where the bypass happens on a visible pull request. Production
    branches are those the config names (`approval_gates.production_branches`).

    ## Why is this bad?
    A bypass actor merges or pushes to the branch with no pull request and no approval. When that
    actor is the pipeline's GitHub App or a deploy key, the automation that builds a change also ships
    it unreviewed; a repository role bypass hands the same power to everyone who has the role.

    ## Example
    ```hcl
    resource "github_repository_ruleset" "release" {
      name        = "release"
      target      = "branch"
      enforcement = "active"
      repository  = github_repository.app.name

      bypass_actors {
        actor_id    = 123456 # the release bot's GitHub App
        actor_type  = "Integration"
        bypass_mode = "always"
      }

      conditions {
        ref_name {
          include = ["refs/heads/main", "refs/heads/release/*"]
          exclude = []
        }
      }

      rules {
        pull_request { required_approving_review_count = 1 }
      }
    }
    ```

    ## Use instead
    Let the bot open pull requests like everyone else; keep bypass to a named team, on pull requests:
    ```hcl
    resource "github_repository_ruleset" "release" {
      name        = "release"
      target      = "branch"
      repository  = github_repository.app.name
      enforcement = "active"

      bypass_actors {
        actor_id    = github_team.release_managers.id
        actor_type  = "Team"
        bypass_mode = "pull_request"
      }

      rules {
        pull_request { required_approving_review_count = 1 }
      }

      conditions {
        ref_name {
          include = ["refs/heads/main", "refs/heads/release/*"]
          exclude = []
        }
      }
    }
    ```
    """

    id = "NHI_SOD_005"
    severity = Severity.HIGH
    title = "A bot, a deploy key or a whole role bypasses review on a production branch"
    fix = (
        "Remove the bypass actor, or limit it to a named team with `bypass_mode = \"pull_request\"`; "
        "let bots open pull requests that someone else approves."
    )
    resource_types = (*RULESETS, *BRANCH_PROTECTIONS)
    cross_resource = True  # the default branch (github_branch_default) and data "github_app" sources

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type in BRANCH_PROTECTIONS:
            yield from _branch_protection(res, ctx)
            return
        if ruleset_enforced(res) is not True or not isinstance(pull_request_rule(res), Mapping):
            return
        risky = [a for a in bypass_actors(res.get("bypass_actors")) if a.actor_type in _ACTORS and a.mode in _MODES]
        if not risky:
            return
        entries = ruleset_branches(res, ctx)
        if not entries:
            return
        for actor in risky:
            yield _violation(res, actor, ruleset_label(res, entries))


def _violation(res: Resource, actor: BypassActor, where: str) -> Violation:
    who, severity = _ACTORS[actor.actor_type]
    return Violation(
        f"{res.address} lets {actor.label} ({who}) bypass its pull_request rule on {where} "
        f"(bypass_actors[{actor.index}], bypass_mode = {_MODES[actor.mode]}): it pushes and merges with "
        "no pull request and no approval",
        path=f"bypass_actors.{actor.index}",
        key=f"bypass:{actor.key}",
        severity=severity if not (actor.actor_type == "RepositoryRole" and actor.actor_id == 5) else Severity.MEDIUM,
    )


def _branch_protection(res: Resource, ctx: Context) -> Iterable[Violation]:
    apps = app_bypassers(res, ctx)
    entries = protected_branches(res, ctx) if apps else None
    if not entries or not requires_reviews(res):
        return
    where = pattern_label(protection_pattern(res) or "", entries)
    for label, path, source in apps:
        yield Violation(
            f"{res.address} lets {label} bypass the required reviews on {where}: the bot merges its own "
            "pull requests with no approval",
            path=path,
            key=f"bypass-app:{label}",
            related=[(source, "the GitHub App")] if source is not None else [],
        )
