from __future__ import annotations

from collections.abc import Iterable, Mapping

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.sod.github import (
    RULESETS,
    BypassActor,
    bypass_actors,
    pull_request_rule,
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


class RulesetBypass(Rule):
    """## What it does
    Flags `bypass_actors` of an active GitHub branch ruleset (`github_repository_ruleset`,
    `github_organization_ruleset`) with a `pull_request` rule, on a production branch, that let a
    non-personal actor skip the rule at any time (`bypass_mode = "always"` or `"exempt"`):

    * `Integration`: a GitHub App, which is what a pipeline or a bot authenticates as;
    * `DeployKey`: any deploy key of the repository;
    * `RepositoryRole`: everyone with a base role (`actor_id` 2 maintain, 4 write, 5 admin);
    * `OrganizationAdmin` and `EnterpriseOwner` (medium severity).

    Named `User` and `Team` actors are accountable break-glass paths and are not reported, nor is
    `bypass_mode = "pull_request"`, where the bypass happens on a visible pull request. Production
    branches are those the config names (`approval_gates.production_branches`).

    ## Why is this bad?
    A bypass actor merges or pushes to the branch with no pull request and no approval. When that
    actor is the pipeline's GitHub App or a deploy key, the automation that builds a change also ships
    it unreviewed; a repository role bypass hands the same power to everyone who has the role.

    ## Example
    ```hcl
    resource "github_repository_ruleset" "main" {
      name        = "main"
      repository  = github_repository.app.name
      target      = "branch"
      enforcement = "active"

      conditions {
        ref_name {
          include = ["~DEFAULT_BRANCH"]
          exclude = []
        }
      }

      bypass_actors {
        actor_id    = 123456 # the release bot's GitHub App
        actor_type  = "Integration"
        bypass_mode = "always"
      }

      rules {
        pull_request {
          required_approving_review_count = 1
        }
      }
    }
    ```

    ## Use instead
    Let the bot open pull requests like everyone else; keep bypass to a named team, on pull requests:
    ```hcl
    resource "github_repository_ruleset" "main" {
      name        = "main"
      repository  = github_repository.app.name
      target      = "branch"
      enforcement = "active"

      conditions {
        ref_name {
          include = ["~DEFAULT_BRANCH"]
          exclude = []
        }
      }

      bypass_actors {
        actor_id    = github_team.release_managers.id
        actor_type  = "Team"
        bypass_mode = "pull_request"
      }

      rules {
        pull_request {
          required_approving_review_count = 1
        }
      }
    }
    ```
    """

    id = "NHI_SOD_005"
    category = Category.APPROVAL
    severity = Severity.HIGH
    title = "Ruleset lets an app, a deploy key or a role bypass review on a production branch"
    fix = (
        "Remove the bypass actor, or limit it to a named team with `bypass_mode = \"pull_request\"`; "
        "let bots open pull requests that someone else approves."
    )
    resource_types = RULESETS
    cross_resource = True  # the repository's default branch comes from github_branch_default

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
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
