from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.plan_update import PlanUpdateRule
from scanner.rules.sod.gates import GateRule
from scanner.rules.sod.weakening import GATES, narrowed, weakenings


class PlanWeakensApprovalGate(GateRule, PlanUpdateRule):
    """## What it does
    For an approval gate that a plan **updates** (or replaces), compares each setting before and after
    the change and reports what the update takes away, even when the new state alone passes every
    other rule:

    * approvals lowered below `approval_gates.min_approvals` (2 to 0 always; 2 to 1 when the config asks
      for 2): GitHub branch protections and rulesets, GitLab approval rules, Azure DevOps
      minimum-reviewer policies and approval checks, CodeCommit approval rule templates;
    * guards turned off: `prevent_self_review`, code-owner review (`require_code_owner_reviews`,
      `require_code_owner_review`, GitLab `code_owner_approval_required`), last-push approval, stale-review
      dismissal and vote resets, `enforce_admins`, GitLab committer approval prevention and
      `reset_approvals_on_push`, Azure DevOps `last_pusher_cannot_approve`, `enabled` and `blocking`;
    * risks turned on: workflows that approve pull requests, author and committer self-approval, a
      requester or pipeline triggerer who approves, `submitter_can_vote`, `can_admins_bypass`;
    * gates removed: the pull-request reviews block, a ruleset's `pull_request` rule, every environment
      reviewer, a ruleset set from `active` to `disabled` or `evaluate`;
    * bypasses added: ruleset `bypass_actors` (or a wider `bypass_mode`), `pull_request_bypassers`,
      `bypass_pull_request_allowances`;
    * production branches dropped from the scope of a gate that required reviews: a branch protection's
      `pattern` moved off `main`, the default branch excluded from a ruleset or the ruleset retargeted to
      tags, an Azure DevOps policy's `scope` moved to another branch.

    Values unknown before apply are not compared. Only plan JSON has a *before*; HCL and chat answers
    never trigger this rule.

    ## Why is this bad?
    Drafts that drop approvals are how separation of duties erodes: one update takes a review count
    from 2 to 0 or turns self-review prevention off, and the diff shows a number or a boolean in a
    long plan. This finding says which gate got weaker and who can now approve what, so the change is
    made on purpose, with its own approval, or not at all.

    ## Example
    A plan that turns `prevent_self_review` off on the production environment:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "github_repository_environment.production",
      "mode": "managed", "type": "github_repository_environment", "name": "production", "change": {
        "actions": ["update"],
        "before": {"environment": "production", "prevent_self_review": true, "reviewers": [{"teams": [42]}]},
        "after": {"environment": "production", "prevent_self_review": false, "reviewers": [{"teams": [42]}]}}}]}
    ```

    ## Use instead
    Keep the gate; if a deployment must go out without its usual approver, use a reviewed, time-bound
    exception instead of editing the gate. An update that adds a reviewing team and weakens nothing:
    ```json
    {"format_version": "1.2", "resource_changes": [{"type": "github_repository_environment", "name": "production",
      "address": "github_repository_environment.production", "mode": "managed", "change": {"actions": ["update"],
        "before": {"environment": "production", "reviewers": [{"teams": [42]}], "prevent_self_review": true},
        "after": {"environment": "production", "reviewers": [{"teams": [42, 57]}], "prevent_self_review": true}}}]}
    ```
    """

    id = "NHI_SOD_050"
    severity = Severity.HIGH
    title = "Plan weakens an approval gate"
    fix = "Revert the weakening, or get this change approved by someone outside the gate it weakens."
    resource_types = tuple(GATES)
    actions = ("update", "replace")

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        found = weakenings(res, ctx.config.approval_gates.min_approvals)
        scope = narrowed(res, ctx)
        if scope is not None:
            found.insert(0, scope)
        if not found:
            return
        verb = "replacement" if res.action == "replace" else "update"
        yield Violation(
            f"approval gate weakened: this {verb} of {res.address} " + "; ".join(w.text for w in found),
            path=found[0].path,
            key="weakening",
        )
