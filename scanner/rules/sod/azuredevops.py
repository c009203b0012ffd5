"""Azure DevOps branch policies (microsoft/azuredevops provider, checked against v0.5 to v1.16).

``azuredevops_branch_policy_min_reviewers``: ``enabled`` and ``blocking`` (default true), and one
``settings`` block with ``reviewer_count``, ``submitter_can_vote`` and ``last_pusher_cannot_approve``
(default false), the vote resets, and ``scope`` blocks (``match_type`` ``Exact`` (default), ``Prefix``
or ``DefaultBranch``; ``repository_ref`` such as ``refs/heads/main``).
"""

from __future__ import annotations

from scanner.model.resource import Resource
from scanner.model.values import Unknown, iter_blocks
from scanner.policy.context import Context
from scanner.rules.sod.gates import DEFAULT_BRANCH, names_default_branch, production_hits, read_bool, strip_ref

MIN_REVIEWERS = "azuredevops_branch_policy_min_reviewers"


def policy_branches(res: Resource) -> list[str] | None:
    """Branch patterns the policy's scopes cover; None when a scope is known only at apply."""
    scopes = res.get("settings.0.scope")
    if isinstance(scopes, Unknown) or isinstance(res.get("settings"), Unknown):
        return None
    out: list[str] = []
    for i, scope in enumerate(iter_blocks(scopes)):
        kind = scope.get("match_type")
        ref = scope.get("repository_ref")
        if isinstance(ref, Unknown) and names_default_branch(res, f"settings.0.scope.{i}.repository_ref"):
            ref = DEFAULT_BRANCH  # azuredevops_git_repository.app.default_branch, computed at apply
        if isinstance(kind, Unknown) or isinstance(ref, Unknown):
            return None
        kind = kind if isinstance(kind, str) else "Exact"
        if kind.lower() == "defaultbranch" or ref == DEFAULT_BRANCH:
            out.append(DEFAULT_BRANCH)
        elif isinstance(ref, str) and kind.lower() == "prefix":
            out.append(strip_ref(ref) + "**")
        elif isinstance(ref, str):
            out.append(strip_ref(ref))
    return out


def production_policy(res: Resource, ctx: Context) -> list[str] | None:
    """The production branch entries an enforced policy covers; None when that is unknown."""
    branches = policy_branches(res)
    if branches is None:
        return None
    return production_hits(branches, (), ctx.config.approval_gates, set())


def enforced(res: Resource) -> bool | None:
    enabled, blocking = read_bool(res.get("enabled"), True), read_bool(res.get("blocking"), True)
    if enabled is None or blocking is None:
        return None
    return enabled and blocking

