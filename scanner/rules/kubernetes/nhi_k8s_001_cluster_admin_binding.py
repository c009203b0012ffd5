from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import iter_blocks
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.kubernetes.subjects import describe_subject, is_machine_subject


class ClusterAdminBinding(Rule):
    """## What it does
    Flags a `kubernetes_cluster_role_binding` (or `_v1`) that grants the built-in
    `cluster-admin` ClusterRole to a non-human subject: a ServiceAccount, a
    `system:serviceaccount:<ns>:<name>` user, or a `system:serviceaccounts[:<ns>]` group.
    Bindings whose subjects are only people (other users and groups) are left to human
    access review; bindings whose subjects cannot be resolved are not reported.

    ## Why is this bad?
    `cluster-admin` is superuser on the whole cluster: every Secret in every namespace,
    every workload, RBAC itself. Any pod that mounts the service account's token, and
    anyone who can exec into such a pod or create one in its namespace, becomes cluster
    admin (OWASP NHI5, Overprivileged NHI). Chat assistants suggest it because it makes
    "forbidden" errors disappear.

    ## Example
    ```hcl
    resource "kubernetes_cluster_role_binding_v1" "ci" {
      metadata { name = "ci-admin" }
      role_ref {
        api_group = "rbac.authorization.k8s.io"
        kind      = "ClusterRole"
        name      = "cluster-admin"
      }
      subject {
        kind      = "ServiceAccount"
        name      = "ci"
        namespace = "ci"
      }
    }
    ```

    ## Use instead
    Bind a narrower role in the namespace the workload works in: a Role listing only what it
    does, or a built-in ClusterRole such as `edit`, which a RoleBinding limits to its namespace.
    ```hcl
    resource "kubernetes_role_binding_v1" "ci" {
      metadata {
        name      = "ci-edit"
        namespace = "apps"
      }
      subject {
        kind      = "ServiceAccount"
        name      = kubernetes_service_account_v1.ci.metadata[0].name
        namespace = kubernetes_service_account_v1.ci.metadata[0].namespace
      }
      role_ref {
        api_group = "rbac.authorization.k8s.io"
        kind      = "ClusterRole"
        name      = "edit"
      }
    }
    ```
    """

    id = "NHI_K8S_001"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "Service account bound to cluster-admin"
    fix = "Bind a Role (or narrow ClusterRole) listing only the resources and verbs the workload needs."
    resource_types = ("kubernetes_cluster_role_binding", "kubernetes_cluster_role_binding_v1")

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.get("role_ref.name") != "cluster-admin":
            return
        machines = [s for s in iter_blocks(res.get("subject")) if is_machine_subject(s)]
        if machines:
            names = ", ".join(describe_subject(s) for s in machines)
            yield Violation(f"{res.address} grants cluster-admin to {names}", "role_ref.0.name")
