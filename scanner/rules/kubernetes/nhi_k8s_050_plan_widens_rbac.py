from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import as_list, contains_unknown, is_unknown, iter_blocks
from scanner.rules.base import Context, Violation
from scanner.rules.kubernetes.rbac import ROLE_TYPES, RbacRule, read_rules, role_kind
from scanner.rules.kubernetes.subjects import describe_subject
from scanner.rules.plan_update import WideningRule

BINDING_TYPES = (
    "kubernetes_role_binding",
    "kubernetes_role_binding_v1",
    "kubernetes_cluster_role_binding",
    "kubernetes_cluster_role_binding_v1",
)
READ_VERBS = {"get", "list", "watch"}
#: built-in user-facing ClusterRoles, each a superset of the one before it
_BUILT_IN_RANK = {"view": 1, "edit": 2, "admin": 3, "cluster-admin": 4}


def _resource_covers(old: str, new: str) -> bool:
    if old in ("*", new):
        return True
    # `*/scale` matches the scale subresource of every resource (RBAC's ResourceMatches)
    return old.startswith("*/") and "/" in new and not new.startswith("*/") and new.split("/", 1)[1] == old[2:]


def _url_covers(old: str, new: str) -> bool:
    return old == new or old == "*" or (old.endswith("*") and new.startswith(old[:-1]))


def _covered(old_rules: list[RbacRule], group: str, resource: str, verb: str, name: str | None) -> bool:
    for old in old_rules:
        if not ("*" in old.verbs or verb in old.verbs):
            continue
        if not ("*" in old.groups or group in old.groups):
            continue
        if not any(_resource_covers(o, resource) for o in old.resources):
            continue
        if old.names and (name is None or name not in old.names):
            continue
        return True
    return False


def additions(new_rules: list[RbacRule], old_rules: list[RbacRule]) -> dict[str, list[str]]:
    """What ``new_rules`` grant that ``old_rules`` did not: label -> added verbs."""
    added: dict[str, list[str]] = {}
    for rule in new_rules:
        for group in sorted(rule.groups):
            for resource in sorted(rule.resources):
                names: list[str | None] = [*sorted(rule.names)] or [None]
                for name in names:
                    for verb in sorted(rule.verbs):
                        if not _covered(old_rules, group, resource, verb, name):
                            label = _label(group, resource, name)
                            added.setdefault(label, [])
                            if verb not in added[label]:
                                added[label].append(verb)
        for url in sorted(rule.urls):
            for verb in sorted(rule.verbs):
                if not any(
                    ("*" in o.verbs or verb in o.verbs) and any(_url_covers(u, url) for u in o.urls) for o in old_rules
                ):
                    added.setdefault(f"non-resource URL `{url}`", []).append(verb)
    return added


def _label(group: str, resource: str, name: str | None) -> str:
    text = resource if group == "" else f"{resource}.{group}"
    return f"`{text}`" + (f" named `{name}`" if name else "")


def _sensitive(label: str, verbs: list[str]) -> bool:
    """Anything beyond reading ordinary resources."""
    return bool(set(verbs) - READ_VERBS) or "*" in label or "secrets" in label


def _selectors(value: Any) -> set[str] | None:
    """``aggregation_rule`` label selectors, as text (``a=b, c In (x, y)``); None when unknown."""
    if is_unknown(value) or contains_unknown(value):
        return None
    out: set[str] = set()
    for agg in iter_blocks(value):
        for sel in iter_blocks(agg.get("cluster_role_selectors")):
            labels = sel.get("match_labels")
            parts = [f"{k}={v}" for k, v in sorted(labels.items())] if isinstance(labels, Mapping) else []
            for expr in iter_blocks(sel.get("match_expressions")):
                values = ", ".join(str(v) for v in as_list(expr.get("values")))
                parts.append(f"{expr.get('key')} {expr.get('operator')}" + (f" ({values})" if values else ""))
            out.add(", ".join(sorted(parts)))
    return out


def _subject_key(subject: Mapping[str, Any]) -> tuple[str, str, str] | None:
    kind, name, ns = subject.get("kind"), subject.get("name"), subject.get("namespace")
    if not isinstance(kind, str) or not isinstance(name, str) or is_unknown(ns):
        return None
    return kind, name, ns if isinstance(ns, str) and kind == "ServiceAccount" else ""


def _role_ref(value: Any) -> tuple[str, str] | None:
    for block in iter_blocks(value):
        kind, name = block.get("kind"), block.get("name")
        if isinstance(kind, str) and isinstance(name, str):
            return kind, name
    return None


class PlanWidensRbac(WideningRule):
    """## What it does
    For Kubernetes RBAC that a plan changes, lists exactly what the change adds:

    * a `Role` or `ClusterRole` (`kubernetes_role[_v1]`, `kubernetes_cluster_role[_v1]`)
      **updated** in place: verbs, resources, API groups and non-resource URLs its rules did
      not grant before (`create` on `pods/exec`, `get` on `secrets`, `*` on `deployments.apps`),
      and `aggregation_rule` selectors added to a ClusterRole. A new permission already
      covered by an old rule (`get` when the old rule had `*`, a named object when the old
      rule had none) is not reported;
    * a `RoleBinding` or `ClusterRoleBinding` (`kubernetes_[cluster_]role_binding[_v1]`)
      updated or replaced: subjects added, and a `role_ref` that now names another role
      (`role_ref` cannot change in place, so Terraform replaces the binding). A move to a
      role known to be narrower (the built-in `view` < `edit` < `admin` < `cluster-admin`, or
      two roles of the plan whose rules compare) is not reported.

    Values unknown before apply are not compared. Only plan JSON has a *before*; HCL and
    chat answers never trigger this rule. Read-only additions of ordinary resources are
    medium, the rest high.

    ## Why is this bad?
    A role that was least-privilege yesterday and gains `pods/exec` or `secrets` today is
    not a wildcard, so the other rules may stay silent; in review it is one more string in a
    list. A binding that gains a service account, or points at a bigger role, grants in one
    line everything that role can do. Naming the additions makes the widening an explicit
    decision.

    ## Example
    A plan that updates a Role which could patch deployments so that it also reads Secrets and execs into pods:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "kubernetes_role_v1.ci", "mode": "managed",
      "type": "kubernetes_role_v1", "name": "ci", "change": {"actions": ["update"],
      "before": {"rule": [{"api_groups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]},
      "after": {"rule": [{"api_groups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
        {"api_groups": [""], "resources": ["secrets", "pods/exec"], "verbs": ["get", "create"]}]}}}]}
    ```

    ## Use instead
    Keep the Role as it was, and grant what the change needs (reading one named Secret) in a Role of
    its own, reviewed as new:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "kubernetes_role_v1.ci_db", "mode": "managed",
      "type": "kubernetes_role_v1", "name": "ci_db", "change": {"actions": ["create"], "before": null, "after": {
      "metadata": [{"name": "ci-db", "namespace": "apps"}], "rule": [{"api_groups": [""], "resources": ["secrets"],
      "resource_names": ["db-credentials"], "verbs": ["get"]}]}}}]}
    ```
    """

    id = "NHI_K8S_050"
    severity = Severity.HIGH
    title = "Plan widens a Kubernetes role or binding (privilege widening)"
    fix = "Review the added permissions or subjects; grant only what the change needs and record the approval."
    resource_types = (*ROLE_TYPES, *BINDING_TYPES)
    cross_resource = True  # a binding's old and new roles are compared through the model

    actions = ("update", "replace")  # a binding's replacement too: its role_ref cannot change in place

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        if res.type not in ROLE_TYPES:
            yield from self._binding(res, ctx)
        elif res.action == "update":
            yield from self._role(res)

    def _role(self, res: Resource) -> Iterable[Violation]:
        before = res.before or {}
        kind = role_kind(res)
        parts: list[str] = []
        sensitive = False
        old_rules, new_rules = read_rules(before.get("rule")), read_rules(res.get("rule"))
        if old_rules is not None and new_rules is not None:
            added = additions(new_rules, old_rules)
            for label, verbs in added.items():
                sensitive = sensitive or _sensitive(label, verbs)
            if added:
                parts.append(
                    "adds "
                    + "; ".join(f"{', '.join(f'`{v}`' for v in verbs)} on {label}" for label, verbs in added.items())
                )
        old_sel, new_sel = _selectors(before.get("aggregation_rule")), _selectors(res.get("aggregation_rule"))
        if old_sel is not None and new_sel is not None and new_sel - old_sel:
            sensitive = True
            parts.append("adds aggregation selectors " + ", ".join(f"`{s}`" for s in sorted(new_sel - old_sel)))
        if parts:
            yield Violation(
                f"privilege widening: this update of {kind} {res.address} " + "; ".join(parts),
                "rule",
                key="widening",
                severity=Severity.HIGH if sensitive else Severity.MEDIUM,
            )

    def _binding(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        before = res.before or {}
        parts: list[str] = []
        old_subjects = [_subject_key(s) for s in iter_blocks(before.get("subject"))]
        new_blocks = [] if is_unknown(res.get("subject")) else list(iter_blocks(res.get("subject")))
        if None not in old_subjects:
            added = [s for s in new_blocks if (k := _subject_key(s)) is not None and k not in old_subjects]
            if added:
                parts.append("adds subjects " + ", ".join(describe_subject(s) for s in added))
        old_ref, new_ref = _role_ref(before.get("role_ref")), _role_ref(res.get("role_ref"))
        if old_ref and new_ref and old_ref != new_ref and not _narrower(res, ctx, old_ref, new_ref):
            parts.append(f"binds {new_ref[0]} `{new_ref[1]}` instead of {old_ref[0]} `{old_ref[1]}`")
        if parts:
            verb = "replacement" if res.action == "replace" else "update"
            yield Violation(
                f"privilege widening: this {verb} of {res.address} " + "; ".join(parts),
                "subject" if parts[0].startswith("adds") else "role_ref",
                key="widening",
            )


def _narrower(res: Resource, ctx: Context, old: tuple[str, str], new: tuple[str, str]) -> bool:
    """The new role grants nothing the old one did not (as far as the plan shows)."""
    if old == ("ClusterRole", "cluster-admin"):
        return True
    if old[0] == new[0] == "ClusterRole" and old[1] in _BUILT_IN_RANK and new[1] in _BUILT_IN_RANK:
        return _BUILT_IN_RANK[new[1]] <= _BUILT_IN_RANK[old[1]]
    old_rules, new_rules = _rules_of(res, ctx, old), _rules_of(res, ctx, new)
    if old_rules is None or new_rules is None:
        return False
    return not additions(new_rules, old_rules)


def _rules_of(res: Resource, ctx: Context, ref: tuple[str, str]) -> list[RbacRule] | None:
    kind, name = ref
    types = ROLE_TYPES[2:] if kind == "ClusterRole" else ROLE_TYPES[:2]
    namespace = res.get("metadata.namespace")
    for role in ctx.model.of_type(*types):
        if role.get("metadata.name") != name or ctx.model.scope(role) != ctx.model.scope(res):
            continue
        if kind == "Role" and role.get("metadata.namespace") != namespace:
            continue
        return read_rules(role.get("rule"))
    return None
