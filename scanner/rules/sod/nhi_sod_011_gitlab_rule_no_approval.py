from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource, strings_at
from scanner.model.severity import Severity
from scanner.model.values import as_list, is_unknown
from scanner.rules.base import Context, Violation
from scanner.rules.sod.gates import (
    ALL_BRANCHES,
    GateRule,
    production_hits,
    read_bool,
    read_int,
    read_str,
    scope_label,
    shortfall,
    target_label,
    targeting,
)

RULE = "gitlab_project_approval_rule"


def _branches(res: Resource, ctx: Context) -> list[str] | None:
    """Branch patterns the rule applies to (``~ALL`` for every branch); None when unknown."""
    if read_bool(res.get("applies_to_all_protected_branches"), False) is True:
        return [ALL_BRANCHES]
    protections = ctx.model.referenced(res, "protected_branch_ids", "gitlab_branch_protection")
    if protections:  # the IDs are computed; the protections they come from name the branches
        names = [p.get("branch") for p in protections]
        return [n for n in names if isinstance(n, str)] if all(isinstance(n, str) for n in names) else None
    ids = res.get("protected_branch_ids")
    if is_unknown(ids) or any(is_unknown(i) for i in as_list(ids)):
        return None
    # no protected branch named: the rule applies to every branch; literal IDs name branches the scan cannot see
    return [ALL_BRANCHES] if not as_list(ids) else None


def _defaults(res: Resource, ctx: Context) -> set[str]:
    return strings_at(ctx.model.referenced(res, "project", "gitlab_project"), "default_branch")


def _production(res: Resource, ctx: Context) -> list[str] | None:
    branches = _branches(res, ctx)
    if branches is None:
        return None
    return production_hits(branches, (), ctx.config.approval_gates, _defaults(res, ctx))


def _counted(res: Resource) -> int | None:
    """Approvals the rule requires; None when unknown or when it is a report (coverage) rule."""
    if read_str(res.get("rule_type")) == "report_approver" or is_unknown(res.get("rule_type")):
        return None
    return read_int(res.get("approvals_required"))


class GitLabRuleNoApproval(GateRule):
    """## What it does
    Flags a GitLab merge-request approval rule (`gitlab_project_approval_rule`, rule type `regular` or
    `any_approver`) that applies to a production branch and requires fewer approvals than
    `approval_gates.min_approvals` (1 by default): `approvals_required = 0`.

    A rule applies to every branch unless it names `protected_branch_ids`; those written as references
    to `gitlab_branch_protection` resources are resolved to branch names, literal IDs cannot be and are
    not judged. When another rule of the same project requires enough approvals on the same branches,
    nothing is reported: GitLab requires every rule.

    ## Why is this bad?
    An approval rule with zero required approvals is optional: the author merges without anyone's
    approval, and so does any bot or pipeline user that opens merge requests. It reads like a gate in
    the code and is none.

    ## Example
    ```hcl
    resource "gitlab_project_approval_rule" "release" {
      project            = gitlab_project.app.id
      name               = "Release approvers"
      approvals_required = 0
      group_ids          = [gitlab_group.release.id]
    }
    ```

    ## Use instead
    ```hcl
    resource "gitlab_project_approval_rule" "release" {
      name               = "Release approvers"
      project            = gitlab_project.app.id
      group_ids          = [gitlab_group.release.id]
      approvals_required = 1
    }
    ```
    """

    id = "NHI_SOD_011"
    severity = Severity.HIGH
    title = "GitLab approval rule on a production branch requires no approval"
    fix = "Set `approvals_required` to at least 1 (and keep authors and committers from approving)."
    resource_types = (RULE,)
    cross_resource = True  # other rules of the project, and the branch protections a rule names

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        count = _counted(res)
        wanted = ctx.config.approval_gates.min_approvals
        if count is None or count >= wanted:
            return
        entries = _production(res, ctx)
        if not entries or _covered_elsewhere(res, entries, wanted, ctx):
            return
        name = read_str(res.get("name"))
        yield Violation(
            f"{res.address} (rule `{name}` of project {target_label(res, 'project', ctx)}) requires {count} "
            f"approval(s) on {scope_label(_branches(res, ctx) or [], entries)} (approvals_required = {count})"
            + shortfall(count, wanted, "merge requests merge with no one's approval, the author's own included"),
            path="approvals_required",
            key="approvals-required",
        )


def _covered_elsewhere(res: Resource, entries: list[str], wanted: int, ctx: Context) -> bool:
    for other in targeting(res, "project", ctx, (RULE,), "project"):
        if other is res:
            continue
        count = _counted(other)
        reach = _production(other, ctx)
        if count is not None and count >= wanted and reach and set(entries) <= set(reach):
            return True
    return False
