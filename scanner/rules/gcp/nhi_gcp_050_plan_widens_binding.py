from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import as_list
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.iam import bindings, describe_target, grant_kind
from scanner.rules.plan_update import WideningRule


def _old_grants(res: Resource) -> dict[str, set[str]] | None:
    """role -> members before the update, or None when they cannot be read."""
    before = res.before or {}
    kind = grant_kind(res)
    if kind == "binding":
        role = before.get("role")
        if not isinstance(role, str):
            return None
        return {role: {m for m in as_list(before.get("members")) if isinstance(m, str)}}
    raw = before.get("policy_data")
    try:
        policy = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(policy, Mapping):
        return None
    out: dict[str, set[str]] = {}
    for item in as_list(policy.get("bindings")):
        if isinstance(item, Mapping) and isinstance(item.get("role"), str):
            out.setdefault(item["role"], set()).update(m for m in as_list(item.get("members")) if isinstance(m, str))
    return out


class PlanWidensGoogleBinding(WideningRule):
    """## What it does
    For a Google IAM binding or policy that a plan **updates** in place
    (`google_*_iam_binding`, `google_*_iam_policy`), lists exactly what the update
    adds: members added to a role, roles granted that were not granted before, and a
    binding `condition` removed. (`google_*_iam_member` changes are replacements, and
    the new grant is checked by the other rules.) Members unknown before apply are
    not compared. Only plan JSON has a *before*.

    ## Why is this bad?
    An authoritative binding that gains a member is a new grant hidden in a diff of
    a list; an IAM policy that gains a binding may hand a service account a role
    nobody reviewed. Naming the additions makes the widening an explicit decision.

    ## Example
    A plan that adds a group to an authoritative binding that held only the CI service account:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "google_project_iam_binding.deployers",
      "mode": "managed", "type": "google_project_iam_binding", "name": "deployers", "change": {"actions": ["update"],
      "before": {"project": "acme-prod", "role": "roles/run.admin",
      "members": ["serviceAccount:ci@acme-prod.iam.gserviceaccount.com"]},
      "after": {"project": "acme-prod", "role": "roles/run.admin",
      "members": ["serviceAccount:ci@acme-prod.iam.gserviceaccount.com", "group:contractors@acme.example"]}}}]}
    ```

    ## Use instead
    Grant the new member the narrowest role it needs, in a grant of its own that is reviewed as new:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "google_project_iam_member.contractors_viewer",
      "mode": "managed", "type": "google_project_iam_member", "name": "contractors_viewer",
      "change": {"actions": ["create"], "before": null,
      "after": {"project": "acme-prod", "role": "roles/run.viewer", "member": "group:contractors@acme.example"}}}]}
    ```
    """

    id = "NHI_GCP_050"
    severity = Severity.HIGH
    title = "Plan widens an existing Google IAM binding (privilege widening)"
    fix = "Review the added members and roles; grant only what the change needs and record the approval."
    cross_resource = True  # a deferred data "google_iam_policy" in a plan is read through the model
    resource_patterns = ("google_*_iam_binding", "google_*_iam_policy")

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        old = _old_grants(res)
        if old is None:
            return
        added: list[str] = []
        for binding in bindings(res, ctx):
            if not isinstance(binding.role, str):
                continue
            new = [m for m in binding.members if isinstance(m, str) and m not in old.get(binding.role, set())]
            if new:
                what = "grants the new role" if binding.role not in old else "adds to"
                added.append(f"{what} `{binding.role}` {', '.join(f'`{m}`' for m in new)}")
        if grant_kind(res) == "binding" and _has_condition(before) and not _has_condition(res.attrs):
            added.append("removes the binding's condition")
        if added:
            yield Violation(
                f"privilege widening: this update of {res.address} on {describe_target(res)} " + "; ".join(added),
                "members" if grant_kind(res) == "binding" else "policy_data",
                key="widening",
            )


def _has_condition(attrs: Mapping[str, Any]) -> bool:
    return any(isinstance(c, Mapping) and c.get("expression") for c in as_list(attrs.get("condition")))
