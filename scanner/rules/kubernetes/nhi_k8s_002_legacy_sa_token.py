from __future__ import annotations

from collections.abc import Iterable, Mapping

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


class LegacyServiceAccountToken(NeverExpiresRule):
    """## What it does
    Flags a `kubernetes_secret` (or `_v1`) of type `kubernetes.io/service-account-token`:
    a long-lived service account token that Kubernetes fills in and never expires.

    ## Why is this bad?
    Since Kubernetes 1.24 service accounts get short-lived, audience-bound tokens from
    the TokenRequest API, projected into pods and rotated by the kubelet. A
    service-account-token Secret brings back the old model: a bearer token valid until
    the Secret is deleted, readable by anyone who can read Secrets in the namespace, and
    usually copied into CI variables and kubeconfigs (OWASP NHI7, Long-Lived Secrets).

    ## Example
    ```hcl
    resource "kubernetes_secret_v1" "ci_token" {
      metadata {
        name        = "ci-token"
        namespace   = "ci"
        annotations = { "kubernetes.io/service-account.name" = "ci" }
      }
      type = "kubernetes.io/service-account-token"
    }
    ```

    ## Use instead
    Let pods use their projected token (the default), request short-lived tokens with
    `kubectl create token` or the TokenRequest API, and authenticate CI through OIDC
    (EKS IRSA / Pod Identity, GKE or AKS workload identity).
    ```hcl
    resource "kubernetes_service_account_v1" "ci" {
      metadata {
        name      = "ci"
        namespace = "ci"
      }
      automount_service_account_token = false
    }
    ```
    """

    id = "NHI_K8S_002"
    severity = Severity.HIGH
    title = "Long-lived service account token Secret"
    fix = "Delete the token Secret; use projected tokens or the TokenRequest API (kubectl create token) instead."
    resource_types = ("kubernetes_secret", "kubernetes_secret_v1")

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.get("type") != SA_TOKEN_TYPE:
            return
        annotations = res.get("metadata.annotations")
        account = annotations.get(SA_NAME_ANNOTATION) if isinstance(annotations, Mapping) else None
        whose = f" for service account `{account}`" if isinstance(account, str) else ""
        yield Violation(f"{res.address} creates a non-expiring service account token{whose}", "type")
