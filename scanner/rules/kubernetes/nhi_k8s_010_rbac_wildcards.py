from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Problem
from scanner.rules.kubernetes.rbac import RbacRule, RoleBlockRule

#: verbs that let the holder grant itself more, or act as someone else
ESCALATING_VERBS = {
    "escalate": "create or update roles with permissions it does not have",
    "bind": "bind any role, cluster-admin included",
    "impersonate": "act as any user, group or service account",
}
READ_VERBS = {"get", "list", "watch", "*"}


def rule_problems(rule: RbacRule, cluster: bool) -> list[tuple[str, Severity]]:
    verbs, resources = rule.verbs, rule.resources
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
    if cluster and not rule.names and verbs & READ_VERBS and resources & {"secrets", "*"} and "*" not in verbs:
        read = ", ".join(sorted(verbs & READ_VERBS))
        out.append((f"{read} on secrets in every namespace", Severity.HIGH))
    return out


class RbacWildcardOrEscalation(RoleBlockRule):
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
        namespace = kubernetes_namespace_v1.apps.metadata[0].name
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
    severity = Severity.HIGH
    title = "Kubernetes role with wildcards, escalate/bind/impersonate, or cluster-wide secret reads"
    fix = "List the API groups, resources and verbs the workload needs; drop escalate, bind and impersonate."

    def problems(self, res: Resource, rule: RbacRule, ctx: Context) -> Iterable[Problem]:
        problems = rule_problems(rule, "cluster_role" in res.type)
        if not problems:
            return
        severity = max((s for _, s in problems), key=lambda s: s.rank)
        yield Problem("; ".join(p for p, _ in problems), severity)
