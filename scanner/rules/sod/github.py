"""GitHub approval gates (integrations/github provider, checked against v5.x and v6.x).

* ``github_branch_protection`` (GraphQL since v3; ``repository_id``, ``pattern``; v2 took ``repository``
  and ``branch``, which are read too) and
  ``github_branch_protection_v3`` (REST; ``repository``, ``branch``) share the
  ``required_pull_request_reviews`` block: ``required_approving_review_count`` defaults to 1 when the
  block is written, ``require_last_push_approval`` and ``enforce_admins`` to false.
* ``github_repository_ruleset`` / ``github_organization_ruleset``: ``rules.pull_request`` with
  ``required_approving_review_count`` (default 0), ``bypass_actors`` (``actor_type``, ``actor_id``,
  ``bypass_mode`` ``always`` / ``pull_request`` / ``exempt``), ``conditions.ref_name.include`` /
  ``exclude`` (``~DEFAULT_BRANCH``, ``~ALL``, ``refs/heads/...``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model.resource import Resource, strings_at
from scanner.model.values import Unknown, is_missing, is_unknown, iter_blocks, known_strings
from scanner.policy.context import Context
from scanner.rules.sod.gates import (
    ALL_BRANCHES,
    DEFAULT_BRANCH,
    branch_label,
    covers_production,
    covers_whole,
    in_scope,
    known_name,
    names_default_branch,
    production_hits,
    quoted,
    reaches,
    read_bool,
    read_int,
    read_str,
    references_at,
    scope_label,
    strip_ref,
    targeting,
)

BRANCH_PROTECTIONS = ("github_branch_protection", "github_branch_protection_v3")
RULESETS = ("github_repository_ruleset", "github_organization_ruleset")
WORKFLOW_PERMISSIONS = (
    "github_workflow_repository_permissions",
    "github_actions_organization_workflow_permissions",
    "github_enterprise_actions_workflow_permissions",
)
#: base repository roles by the ``actor_id`` GitHub gives them in rulesets
REPOSITORY_ROLES = {1: "read", 2: "maintain", 3: "triage", 4: "write", 5: "admin"}


def repo_attr(res: Resource) -> str:
    """``repository_id`` of ``github_branch_protection`` (provider v3+); ``repository`` everywhere else,
    including ``github_branch_protection`` of provider v2, which took ``repository`` and ``branch``."""
    if res.type == "github_branch_protection" and not is_missing(res.get("repository_id")):
        return "repository_id"
    return "repository"


def pattern_attr(res: Resource) -> str:
    if res.type == "github_branch_protection" and not is_missing(res.get("pattern")):
        return "pattern"
    return "branch"


def default_branches(res: Resource, attr: str, ctx: Context) -> set[str]:
    """The default branch of ``res.<attr>``'s repository, where the scan sets it.

    From ``github_branch_default.branch`` and the deprecated ``github_repository.default_branch``.
    """
    settings = targeting(res, attr, ctx, ("github_branch_default",), "repository")
    repositories = ctx.model.referenced(res, attr, "github_repository")
    return strings_at(settings, "branch") | strings_at(repositories, "default_branch")


def protection_pattern(res: Resource) -> str | None:
    """A branch protection's pattern; ``~DEFAULT_BRANCH`` for a reference to the default branch
    (``github_branch_default.app.branch``) whose value is known only at apply; None when unknown."""
    pattern = read_str(res.get(pattern_attr(res)))
    if pattern is None and names_default_branch(res, pattern_attr(res)):
        return DEFAULT_BRANCH
    return pattern


def protected_branches(res: Resource, ctx: Context) -> list[str] | None:
    """The production branch entries a branch protection covers; None when its pattern is unknown."""
    pattern = protection_pattern(res)
    if pattern is None:
        return None
    gates = ctx.config.approval_gates
    return production_hits([pattern], (), gates, default_branches(res, repo_attr(res), ctx))


def requires_reviews(res: Resource) -> bool:
    """The protection requires at least one approving review (the block's count defaults to 1)."""
    reviews = res.get("required_pull_request_reviews")
    if not reviews or is_unknown(reviews):
        return False
    count = read_int(res.get("required_pull_request_reviews.0.required_approving_review_count"), 1)
    return count is not None and count >= 1


def repository_name(res: Resource, ctx: Context) -> str | None:
    return known_name(res, repo_attr(res), ctx)


def app_bypassers(res: Resource, ctx: Context) -> list[tuple[str, str, Resource | None]]:
    """(GitHub App, attribute path, its data source) that a branch protection lets bypass its reviews.

    ``github_branch_protection.pull_request_bypassers`` holds node IDs, so an app shows only as a
    reference to ``data "github_app"``; ``github_branch_protection_v3`` lists app slugs in
    ``bypass_pull_request_allowances.apps``.
    """
    out: list[tuple[str, str, Resource | None]] = []
    if res.type == "github_branch_protection":
        path = "required_pull_request_reviews.0.pull_request_bypassers"
        for addr in references_at(res, path):
            for target in ctx.model.by_address(res, addr):
                if target.mode == "data" and target.type == "github_app":
                    slug = read_str(target.get("slug"))
                    label = f"GitHub App `{slug}` ({target.address})" if slug else target.address
                    if all(label != seen for seen, _, _ in out):
                        out.append((label, path, target))
    else:
        path = "required_pull_request_reviews.0.bypass_pull_request_allowances.0.apps"
        out += [(f"GitHub App `{slug}`", path, None) for slug in known_strings(res.get(path)) or []]
    return out


# --- rulesets -------------------------------------------------------------------------------


def ruleset_enforced(res: Resource) -> bool | None:
    """An active ruleset on branches; None when that cannot be told."""
    enforcement, target = read_str(res.get("enforcement")), read_str(res.get("target"))
    if enforcement is None or is_unknown(res.get("target")):
        return None
    return enforcement == "active" and (target is None or target == "branch")


def ruleset_patterns(res: Resource) -> tuple[list[str], list[str]] | None:
    """(include, exclude) branch patterns of a ruleset's ``conditions.ref_name``; None when unknown."""
    include = known_strings(res.get("conditions.ref_name.include"))
    exclude = known_strings(res.get("conditions.ref_name.exclude"))
    if include is None or exclude is None:
        return None  # an unknown `conditions` or `ref_name` block makes both unknown
    return include, exclude


def ruleset_branches(res: Resource, ctx: Context) -> list[str] | None:
    """The production branch entries a branch ruleset reaches; None when its conditions are unknown."""
    patterns = ruleset_patterns(res)
    if patterns is None:
        return None
    defaults = default_branches(res, "repository", ctx) if res.type == "github_repository_ruleset" else set()
    return production_hits(*patterns, ctx.config.approval_gates, defaults)


def ruleset_label(res: Resource, entries: list[str]) -> str:
    """``the default branch``, ``every branch``, or ```release/5.*`` (production: `release/*`)`."""
    include = known_strings(res.get("conditions.ref_name.include")) or []
    shown = [strip_ref(p) for p in include]
    if ALL_BRANCHES in include or sorted(shown) == sorted(entries):
        return scope_label(include, entries)
    return f"{quoted(shown)} (production: {branch_label(entries)})"


def pull_request_rule(res: Resource) -> Mapping[str, Any] | Unknown | None:
    """The ruleset's ``rules.pull_request`` block: None when there is none, Unknown when it cannot be read."""
    rules = res.get("rules")
    if is_unknown(rules):
        return rules
    block = res.get("rules.pull_request")
    if is_unknown(block):
        return block
    return next(iter_blocks(block), None)


def org_ruleset_covers(ruleset: Resource, repository: str | None) -> bool:
    """An organization ruleset's repository condition includes the repository named ``repository``.

    Only ``repository_name`` patterns can be checked; ``repository_id`` and ``repository_property``
    conditions, and a repository whose name the scan does not know, count as not included.
    """
    if repository is None:
        return False
    include = known_strings(ruleset.get("conditions.repository_name.include"))
    exclude = known_strings(ruleset.get("conditions.repository_name.exclude")) or []
    if not include:
        return False

    def hit(patterns: list[str]) -> bool:
        return any(p == "~ALL" or fnmatch.fnmatchcase(repository.lower(), p.lower()) for p in patterns)

    return hit(include) and not hit(exclude)


@dataclass(frozen=True)
class BypassActor:
    index: int
    actor_type: str
    actor_id: Any
    mode: str

    @property
    def label(self) -> str:
        if self.actor_type == "RepositoryRole" and isinstance(self.actor_id, int):
            role = REPOSITORY_ROLES.get(self.actor_id)
            return f"RepositoryRole {self.actor_id} ({role})" if role else f"RepositoryRole {self.actor_id}"
        if self.actor_type == "Integration" and self.actor_id is not None:
            return f"Integration (GitHub App {self.actor_id})"
        if self.actor_id is not None and self.actor_type not in ("OrganizationAdmin", "DeployKey", "EnterpriseOwner"):
            return f"{self.actor_type} {self.actor_id}"
        return self.actor_type

    @property
    def key(self) -> str:
        return f"{self.actor_type}:{self.actor_id}"


def bypass_actors(value: Any) -> Iterator[BypassActor]:
    """The ``bypass_actors`` blocks whose type and mode are known."""
    if is_unknown(value):
        return
    for i, block in enumerate(iter_blocks(value)):
        actor_type, mode = read_str(block.get("actor_type")), read_str(block.get("bypass_mode"))
        if actor_type is None or mode is None:
            continue
        actor_id = block.get("actor_id")
        yield BypassActor(i, actor_type, actor_id if isinstance(actor_id, int | str) else None, mode)


def environment_reviewers(value: Any) -> int | None:
    """How many users and teams a ``github_repository_environment``'s ``reviewers`` name; None when that
    is known only at apply. A reviewer whose ID is computed (``github_team.release.id``) still counts."""
    if is_unknown(value):
        return None
    total = 0
    for block in iter_blocks(value):
        for key in ("users", "teams"):
            items = block.get(key)
            if is_unknown(items):
                return None
            if isinstance(items, list):
                total += len(items)
    return total


# --- automations that push --------------------------------------------------------------------


def automations_that_push(res: Resource, ctx: Context) -> list[tuple[Resource, str]]:
    """What in the scan can push commits to ``res``'s repository without a person, with why.

    * a deploy key with write access (``github_repository_deploy_key``, ``read_only = false``);
    * workflows whose ``GITHUB_TOKEN`` writes by default (``default_workflow_permissions = "write"``)
      for the repository, or for the whole organization or enterprise unless the repository's own
      setting is ``read``.
    """
    attr = repo_attr(res)
    found: list[tuple[Resource, str]] = []
    repo_level: list[str] = []
    for key in targeting(res, attr, ctx, ("github_repository_deploy_key",), "repository"):
        if read_bool(key.get("read_only"), True) is False:
            found.append((key, "read_only = false"))
    for perms in targeting(res, attr, ctx, ("github_workflow_repository_permissions",), "repository"):
        setting = read_str(perms.get("default_workflow_permissions"))
        if setting:
            repo_level.append(setting)
            if setting == "write":
                found.append((perms, 'default_workflow_permissions = "write"'))
    if "read" not in repo_level:
        for perms in in_scope(res, ctx, *WORKFLOW_PERMISSIONS[1:]):
            if read_str(perms.get("default_workflow_permissions")) == "write":
                found.append((perms, 'default_workflow_permissions = "write"'))
    return found


# --- gates stack: branch protections and rulesets ------------------------------------------------


def review_count(gate: Resource) -> int | None:
    """Approving reviews an enforced gate requires; None when it requires none or cannot be read."""
    if gate.type in RULESETS:
        rule = pull_request_rule(gate)
        if ruleset_enforced(gate) is not True or not isinstance(rule, Mapping):
            return None
        return read_int(rule.get("required_approving_review_count"), 0)
    reviews = gate.get("required_pull_request_reviews")
    if not reviews or is_unknown(reviews):
        return None
    return read_int(gate.get("required_pull_request_reviews.0.required_approving_review_count"), 1)


def _gates_of_repository(res: Resource, ctx: Context, replacing: bool = False) -> list[Resource]:
    """The other branch protections and rulesets that apply to ``res``'s repository (or organization);
    ``replacing``: that could take the place of ``res`` (a deleted protection's successor)."""
    orgs = [g for g in in_scope(res, ctx, "github_organization_ruleset") if g is not res]
    if res.type == "github_organization_ruleset":
        return orgs  # one repository's gate does not cover an organization's
    name = repository_name(res, ctx)
    # two protections do not stack, but one can succeed another
    own = RULESETS[:1] if res.type in BRANCH_PROTECTIONS and not replacing else (RULESETS[0], *BRANCH_PROTECTIONS)
    return [
        *(g for g in targeting(res, repo_attr(res), ctx, own, repo_attr) if g is not res),
        *(g for g in orgs if org_ruleset_covers(g, name)),
    ]


def branch_patterns(gate: Resource) -> tuple[list[str], list[str]] | None:
    """(include, exclude) branch patterns of a branch protection or ruleset; None when unknown."""
    if gate.type in BRANCH_PROTECTIONS:
        pattern = protection_pattern(gate)
        return ([pattern], []) if pattern is not None else None
    return ruleset_patterns(gate)


LAST_PUSH_SETTING = "required_pull_request_reviews.0.require_last_push_approval"
RULESET_LAST_PUSH_SETTING = "rules.0.pull_request.0.require_last_push_approval"


def requires_last_push(gate: Resource) -> bool:
    """An enforced gate that requires reviews and an approval of the last push by someone else."""
    count = review_count(gate)
    path = RULESET_LAST_PUSH_SETTING if gate.type in RULESETS else LAST_PUSH_SETTING
    return count is not None and count >= 1 and read_bool(gate.get(path), False) is True


def reviews_elsewhere(res: Resource, wanted: int, ctx: Context, replacing: bool = False) -> bool:
    """Other gates require ``wanted`` reviews on every production branch pattern of ``res``;
    ``replacing``: another branch protection counts too (``res`` is deleted, so it does not compete)."""
    return covered_elsewhere(res, ctx, lambda gate: (review_count(gate) or 0) >= wanted, replacing)


def covered_elsewhere(
    res: Resource, ctx: Context, strong: Callable[[Resource], bool], replacing: bool = False
) -> bool:
    """Other gates that are ``strong`` cover every production branch pattern of ``res``.

    GitHub applies every ruleset that matches a branch, and the branch protection rule with the most
    specific pattern, together; the strictest setting wins, so a weak gate next to a strong one on
    the same branches is no hole. Two branch protection rules do not stack (only one applies).
    """
    mine = branch_patterns(res)
    if mine is None:
        return False
    gates = ctx.config.approval_gates
    defaults = default_branches(res, repo_attr(res), ctx) if res.type != "github_organization_ruleset" else set()
    todo = [p for p in mine[0] if covers_production([p], gates, defaults)]
    for gate in _gates_of_repository(res, ctx, replacing):
        if not todo:
            break
        theirs = branch_patterns(gate)
        if theirs is None or not strong(gate):
            continue
        include, exclude = theirs
        todo = [
            p
            for p in todo
            if not (
                any(covers_whole(g, p, defaults) for g in include)
                and not any(reaches(e, p, defaults) for e in exclude)
            )
        ]
    return bool(mine[0]) and not todo
