"""What a plan update of an approval gate takes away: before and after, setting by setting.

Each gate type lists its settings (:class:`Setting`) with the direction that weakens it: a count
lowered below ``approval_gates.min_approvals``, a guard turned off, a risk turned on, a block
removed, a bypass or exemption added. :func:`narrowed` finds the production branches a gate that
required reviews stops covering (a pattern moved off ``main``, the default branch excluded from a
ruleset, a ruleset retargeted to tags). :func:`weakenings` compares a plan object's ``before`` with its
``after``; a value unknown in either, or absent from ``before`` (an older provider), is not compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from scanner.model.resource import Resource
from scanner.model.values import get_path, is_unknown, iter_blocks, known_strings
from scanner.policy.context import Context
from scanner.rules.sod.azuredevops import MIN_REVIEWERS, enforced, production_policy
from scanner.rules.sod.codecommit import content_of, statements
from scanner.rules.sod.gates import DEFAULT_BRANCH, branch_label, read_bool, read_int, read_str
from scanner.rules.sod.github import (
    BRANCH_PROTECTIONS,
    RULESETS,
    WORKFLOW_PERMISSIONS,
    bypass_actors,
    default_branches,
    environment_reviewers,
    pattern_attr,
    protected_branches,
    pull_request_rule,
    repo_attr,
    requires_reviews,
    ruleset_branches,
    ruleset_enforced,
)


@dataclass(frozen=True)
class Setting:
    path: str
    #: count | guard (true is safe) | risk (true is unsafe) | block | added | enforcement | custom
    kind: str
    #: who can now approve what, once the setting is weakened
    effect: str


@dataclass(frozen=True)
class Weakening:
    path: str
    text: str


def _s(path: str, kind: str, effect: str) -> Setting:
    return Setting(path, kind, effect)


_REVIEWS = "required_pull_request_reviews.0"
_BRANCH_PROTECTION = (
    _s("required_pull_request_reviews", "block", "anyone who can push merges with no approving review"),
    _s(f"{_REVIEWS}.required_approving_review_count", "count", "a merge now needs {n}"),
    _s(f"{_REVIEWS}.require_code_owner_reviews", "guard", "changes to owned code merge without the code owners"),
    _s(f"{_REVIEWS}.require_last_push_approval", "guard", "the last pusher's own commits need no other approval"),
    _s(f"{_REVIEWS}.dismiss_stale_reviews", "guard", "approvals survive later pushes"),
    _s("enforce_admins", "guard", "administrators merge without review"),
)
_PR_RULE = "rules.0.pull_request.0"
_RULESET = (
    _s("enforcement", "enforcement", "none of its rules, reviews included, is enforced"),
    _s("rules.0.pull_request", "block", "pull requests, and so approvals, are no longer required"),
    _s(f"{_PR_RULE}.required_approving_review_count", "count", "a merge now needs {n}"),
    _s(f"{_PR_RULE}.require_code_owner_review", "guard", "changes to owned code merge without the code owners"),
    _s(f"{_PR_RULE}.require_last_push_approval", "guard", "the last pusher's own commits need no other approval"),
    _s(f"{_PR_RULE}.dismiss_stale_reviews_on_push", "guard", "approvals survive later pushes"),
    _s("bypass_actors", "added", "they merge with no pull request and no approval"),
)
_WORKFLOWS = (_s("can_approve_pull_request_reviews", "risk", "workflows, and so bots, approve pull requests"),)
_MIN_REVIEWERS = "settings.0"
GATES: dict[str, tuple[Setting, ...]] = {
    "github_branch_protection": (
        *_BRANCH_PROTECTION,
        _s(f"{_REVIEWS}.pull_request_bypassers", "added", "they merge without the required reviews"),
    ),
    "github_branch_protection_v3": (
        *_BRANCH_PROTECTION,
        _s(f"{_REVIEWS}.bypass_pull_request_allowances.0.users", "added", "they merge without the required reviews"),
        _s(f"{_REVIEWS}.bypass_pull_request_allowances.0.teams", "added", "they merge without the required reviews"),
        _s(f"{_REVIEWS}.bypass_pull_request_allowances.0.apps", "added", "they merge without the required reviews"),
    ),
    "github_repository_ruleset": _RULESET,
    "github_organization_ruleset": _RULESET,
    "github_repository_environment": (
        _s("reviewers", "custom", "deployments proceed with no one's approval"),
        _s("prevent_self_review", "guard", "the person who triggers a deployment approves it"),
        _s("can_admins_bypass", "risk", "administrators deploy without approval"),
    ),
    **dict.fromkeys(WORKFLOW_PERMISSIONS, _WORKFLOWS),
    "gitlab_project_level_mr_approvals": (
        _s("merge_requests_author_approval", "risk", "authors approve their own merge requests"),
        _s("merge_requests_disable_committers_approval", "guard", "committers approve merge requests they pushed to"),
        _s("reset_approvals_on_push", "guard", "approvals survive later pushes"),
    ),
    "gitlab_group_level_mr_approvals": (
        _s("allow_author_approval", "risk", "authors approve their own merge requests"),
        _s("allow_committer_approval", "risk", "committers approve merge requests they pushed to"),
        _s("retain_approvals_on_push", "risk", "approvals survive later pushes"),
    ),
    "gitlab_project_approval_rule": (
        _s("approvals_required", "count", "a merge now needs {n}"),
    ),
    "gitlab_project": (
        _s("allow_pipeline_trigger_approve_deployment", "risk", "whoever triggers a pipeline approves its deployment"),
    ),
    "gitlab_branch_protection": (
        _s("code_owner_approval_required", "guard", "changes to owned code merge without the code owners"),
    ),
    "azuredevops_check_approval": (
        _s("requester_can_approve", "risk", "whoever queues a run approves it"),
        _s("minimum_required_approvers", "count", "a run now needs {n}"),
    ),
    "azuredevops_branch_policy_min_reviewers": (
        _s("enabled", "guard", "pull requests complete without reviewers"),
        _s("blocking", "guard", "pull requests complete without reviewers"),
        _s(f"{_MIN_REVIEWERS}.reviewer_count", "count", "a pull request now completes with {n}"),
        _s(f"{_MIN_REVIEWERS}.submitter_can_vote", "risk", "the author counts as a reviewer of their own change"),
        _s(f"{_MIN_REVIEWERS}.last_pusher_cannot_approve", "guard", "the last pusher approves their own push"),
        _s(f"{_MIN_REVIEWERS}.on_push_reset_approved_votes", "guard", "approvals survive later pushes"),
        _s(f"{_MIN_REVIEWERS}.on_push_reset_all_votes", "guard", "votes survive later pushes"),
    ),
    "aws_codecommit_approval_rule_template": (
        _s("content", "custom", "a merge now needs {n}"),
    ),
}


def _name(path: str) -> str:
    return path.replace(".0.", ".").replace(".0", "")


def _effect(setting: Setting, count: int) -> str:
    return setting.effect.format(n="no approval" if count == 0 else f"only {count} approval(s)")


def _count(before: Any, after: Any, wanted: int) -> tuple[int, int] | None:
    old, new = read_int(before), read_int(after)
    if old is None or new is None or new >= old or new >= wanted:
        return None
    return old, new


def _compare(setting: Setting, before: Mapping[str, Any], after: Mapping[str, Any], wanted: int) -> str | None:
    old, new = get_path(before, setting.path), get_path(after, setting.path)
    name = _name(setting.path)
    if is_unknown(new) or is_unknown(old):
        return None
    if setting.kind == "count":
        pair = _count(old, new, wanted)
        return f"lowers {name} from {pair[0]} to {pair[1]}: {_effect(setting, pair[1])}" if pair else None
    if setting.kind in ("guard", "risk"):
        safe = setting.kind == "guard"
        if read_bool(old) is safe and read_bool(new) is (not safe):
            return f"sets {name} from {str(safe).lower()} to {str(not safe).lower()}: {setting.effect}"
        return None
    if setting.kind == "block":
        if any(True for _ in iter_blocks(old)) and not any(True for _ in iter_blocks(new)):
            return f"removes {name}: {setting.effect}"
        return None
    if setting.kind == "enforcement":
        if read_str(old) == "active" and read_str(new) in ("disabled", "evaluate"):
            return f"sets enforcement from active to {new}: {setting.effect}"
        return None
    if setting.kind == "added":
        return _added(setting, old, new, name)
    return _CUSTOM[setting.path](old, new, wanted, setting)


def _added(setting: Setting, old: Any, new: Any, name: str) -> str | None:
    if setting.path == "bypass_actors":
        widest = {"pull_request": 1, "always": 2, "exempt": 3}
        was = {a.key: widest.get(a.mode, 0) for a in bypass_actors(old)}
        if is_unknown(old):
            return None
        added = [
            f"{a.label} ({a.mode})"
            for a in bypass_actors(new)
            if a.key not in was or widest.get(a.mode, 0) > was[a.key]
        ]
        return f"adds bypass actors {', '.join(added)}: {setting.effect}" if added else None
    old_items, new_items = known_strings(old), known_strings(new)
    if old_items is None or new_items is None:
        return None
    added_items = [i for i in new_items if i not in old_items]
    return f"adds {', '.join(added_items)} to {name}: {setting.effect}" if added_items else None


def _environment_reviewers(old: Any, new: Any, wanted: int, setting: Setting) -> str | None:
    before, after = environment_reviewers(old), environment_reviewers(new)  # neither is unknown here
    if before and after == 0:
        return f"removes every reviewer: {setting.effect}"
    return None


def _template(old: Any, new: Any, wanted: int, setting: Setting) -> str | None:
    def most(value: Any) -> int | None:
        doc = content_of(value)
        stmts = statements(doc) if doc is not None else None
        counts = [s.approvals for s in stmts or []]
        if not stmts or None in counts:
            return None
        return max(c for c in counts if c is not None)

    pair = _count(most(old), most(new), wanted)
    return f"lowers NumberOfApprovalsNeeded from {pair[0]} to {pair[1]}: {_effect(setting, pair[1])}" if pair else None


_CUSTOM: dict[str, Callable[[Any, Any, int, Setting], str | None]] = {
    "reviewers": _environment_reviewers,
    "content": _template,
}


def weakenings(res: Resource, wanted: int) -> list[Weakening]:
    """What the update of ``res`` (a plan ``update`` or ``replace``) takes away from its gate."""
    if res.action not in ("update", "replace") or not isinstance(res.before, Mapping):
        return []
    out = []
    for setting in GATES.get(res.type, ()):
        text = _compare(setting, res.before, res.attrs, wanted)
        if text:
            out.append(Weakening(setting.path, text))
    return out


# --- scope: the production branches a gate stops covering ------------------------------------


def _protection_scope(res: Resource, ctx: Context, before: bool) -> list[str] | None:
    if before and not requires_reviews(res):
        return None
    return protected_branches(res, ctx)


def _ruleset_scope(res: Resource, ctx: Context, before: bool) -> list[str] | None:
    if before and (ruleset_enforced(res) is not True or not isinstance(pull_request_rule(res), Mapping)):
        return None
    target = res.get("target")
    if not before and not is_unknown(target) and read_str(target) not in (None, "branch"):
        return []  # retargeted to tags or pushes: it no longer guards any branch
    return ruleset_branches(res, ctx)


def _policy_scope(res: Resource, ctx: Context, before: bool) -> list[str] | None:
    if before and (enforced(res) is not True or (read_int(res.get("settings.0.reviewer_count")) or 0) < 1):
        return None
    return production_policy(res, ctx)


_SCOPES: dict[str, tuple[Callable[[Resource, Context, bool], list[str] | None], str]] = {
    **dict.fromkeys(BRANCH_PROTECTIONS, (_protection_scope, "its required reviews no longer apply there")),
    **dict.fromkeys(RULESETS, (_ruleset_scope, "its pull_request rule no longer applies there")),
    MIN_REVIEWERS: (_policy_scope, "its required reviewers no longer apply there"),
}


def reviewed_production(res: Resource, ctx: Context) -> list[str] | None:
    """The production branches a branch protection, ruleset or minimum-reviewer policy, as its
    ``attrs`` stand, requires reviews on; None for another type, or when it requires none."""
    if res.type not in _SCOPES:
        return None
    return _SCOPES[res.type][0](res, ctx, True)


def narrowed(res: Resource, ctx: Context) -> Weakening | None:
    """The production branches an update's gate required reviews on before and no longer covers after
    (a protection's pattern changed from ``main``, the default branch excluded); None when it covers
    them all, or either side is unknown."""
    if res.action not in ("update", "replace") or not isinstance(res.before, Mapping) or res.type not in _SCOPES:
        return None
    scope, effect = _SCOPES[res.type]
    was = scope(replace(res, attrs=dict(res.before)), ctx, True)
    now = scope(res, ctx, False)
    if not was or now is None:
        return None
    lost = [entry for entry in was if entry not in now]
    if not _knows_default(res, ctx):
        # `main` and the default branch may be one branch (the scan does not know the default): a gate
        # moved from one to the other (`refs/heads/main` -> `~DEFAULT_BRANCH`) may cover what it did
        lost = [
            entry for entry in lost
            if not (entry == DEFAULT_BRANCH and any(_one_branch(e) for e in now))
            and not (_one_branch(entry) and DEFAULT_BRANCH in now)
        ]
    if not lost:
        return None
    path = (
        pattern_attr(res) if res.type in BRANCH_PROTECTIONS
        else "conditions" if res.type in RULESETS
        else "settings.0.scope"
    )
    return Weakening(path, f"no longer covers {branch_label(lost)}: {effect}")


def _one_branch(entry: str) -> bool:
    """A production entry that names one branch (``main``), which may be the default branch."""
    return entry != DEFAULT_BRANCH and not any(c in entry for c in "*?[")


def _knows_default(res: Resource, ctx: Context) -> bool:
    """The scan knows the default branch of the repository ``res`` guards (a ruleset or protection
    resolves `main` against ``~DEFAULT_BRANCH`` itself then)."""
    if res.type not in BRANCH_PROTECTIONS and res.type != "github_repository_ruleset":
        return False
    return bool(default_branches(res, repo_attr(res), ctx))
