from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list, iter_blocks
from scanner.rules.base import Context, Rule, Violation

ROLE_TYPES = ("kubernetes_role", "kubernetes_role_v1", "kubernetes_cluster_role", "kubernetes_cluster_role_v1")
#: verbs that let the holder grant itself more, or act as someone else
ESCALATING_VERBS = {
    "escalate": "create or update roles with permissions it does not have",
    "bind": "bind any role, cluster-admin included",
    "impersonate": "act as any user, group or service account",
}
READ_VERBS = {"get", "list", "watch", "*"}


def _strings(value: object) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def rule_problems(rule: dict[str, object], cluster: bool) -> list[tuple[str, Severity]]:
    verbs = {v.lower() for v in _strings(rule.get("verbs"))}
    resources = {r.lower() for r in _strings(rule.get("resources"))}
    names = _strings(rule.get("resource_names"))
    out: list[tuple[str, Severity]] = []
    if "*" in verbs and "*" in resources:
        out.append(("every verb on every resource", Severity.CRITICAL))
    elif "*" in verbs:
        out.append((f"every verb on {', '.join(sorted(resources)) or 'its resources'}", Severity.HIGH))
    elif "*" in resources:
        out.append((f"{', '.join(sorted(verbs))} on every resource", Severity.HIGH))
    for verb, why in ESCALATING_VERBS.items():
        if verb in verbs:
            out.append((f"`{verb}` ({why})", Severity.HIGH))
    if cluster and not names and verbs & READ_VERBS and resources & {"secrets", "*"} and "*" not in verbs:
        read = ", ".join(sorted(verbs & READ_VERBS))
        out.append((f"{read} on secrets in every namespace", Severity.HIGH))
    return out


class RbacWildcardOrEscalation(Rule):
    """## What it does
    Flags a Kubernetes `Role` or `ClusterRole` (`kubernetes_role[_v1]`,
    `kubernetes_cluster_role[_v1]`) with a rule that grants:

    * every verb on every resource (`verbs = ["*"]`, `resources = ["*"]`): critical;
    * every verb, or every resource: high;
    * `escalate`, `bind` or `impersonate`: high;
    * for a ClusterRole, `get`, `list` or `watch` on `secrets` without
      `resource_names`: every Secret of every namespace, high.

    A namespaced Role that reads the Secrets of its own namespace is not reported;
    neither is a read of named Secrets (`resource_names`).

    ## Why is this bad?
    Wildcards grant every verb and resource the API server will ever have, including
    `pods/exec` and `secrets`. `escalate` and `bind` defeat RBAC's own
    privilege-escalation prevention: the holder can bind `cluster-admin` to itself.
    `impersonate` lets it act as any user or service account. Listing Secrets cluster
    wide returns every service-account token and credential in the cluster.

    ## Example
    ```hcl
    resource "kubernetes_cluster_role_v1" "ci" {
      metadata { name = "ci" }
      rule {
        api_groups = ["*"]
        resources  = ["*"]
        verbs      = ["*"]
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "kubernetes_role_v1" "ci" {
      metadata {
        name      = "ci"
        namespace = "apps"
      }
      rule {
        api_groups = ["apps"]
        resources  = ["deployments"]
        verbs      = ["get", "list", "patch"]
      }
    }
    ```
    """

    id = "NHI_K8S_010"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "Kubernetes role with wildcards, escalate/bind/impersonate, or cluster-wide secret reads"
    fix = "List the API groups, resources and verbs the workload needs; drop escalate, bind and impersonate."
    resource_types = ROLE_TYPES

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        cluster = "cluster_role" in res.type
        kind = "ClusterRole" if cluster else "Role"
        for i, rule in enumerate(iter_blocks(res.get("rule"))):
            problems = rule_problems(dict(rule), cluster)
            if not problems:
                continue
            severity = max((s for _, s in problems), key=lambda s: s.rank)
            yield Violation(
                f"{kind} {res.address} rule #{i + 1} grants " + "; ".join(p for p, _ in problems),
                f"rule.{i}",
                key=f"rule.{i}",
                severity=severity,
            )
