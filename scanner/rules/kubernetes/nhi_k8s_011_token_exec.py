from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown, as_list, iter_blocks
from scanner.rules.base import Context, Rule, Violation

CLUSTER_ROLE_TYPES = ("kubernetes_cluster_role", "kubernetes_cluster_role_v1")

#: subresource -> (verbs that use it, what the holder can do with it cluster-wide)
SUBRESOURCES: dict[str, tuple[frozenset[str], str]] = {
    "serviceaccounts/token": (
        frozenset({"create"}),
        "mint a token for any service account in any namespace, the most privileged included",
    ),
    # `get` was enough to open exec/attach over WebSocket on older API servers, which authorized
    # the upgrade GET without asking for `create`.
    "pods/exec": (
        frozenset({"create", "get"}),
        "run commands in any pod, with its service account token and mounted secrets",
    ),
    "pods/attach": (
        frozenset({"create", "get"}),
        "attach to any running container, with its service account token and mounted secrets",
    ),
}


def _strings(value: Any) -> list[str] | None:
    """The strings of a list attribute; None when any part is unknown (cannot tell)."""
    if isinstance(value, Unknown):
        return None
    items = as_list(value)
    if any(isinstance(v, Unknown) for v in items):
        return None
    return [v for v in items if isinstance(v, str)]


def _why(written: str) -> str:
    suffix = written.split("/", 1)[1]
    return next(why for sub, (_, why) in SUBRESOURCES.items() if sub.endswith("/" + suffix))


def token_or_exec(rule: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """(subresource as written, verbs) this rule grants on every object of the core group, for SUBRESOURCES."""
    groups, resources, verbs = (_strings(rule.get(k)) for k in ("api_groups", "resources", "verbs"))
    names = _strings(rule.get("resource_names"))
    if groups is None or resources is None or verbs is None or names is None or names:
        return []
    if not {"", "*"} & set(groups):
        return []  # serviceaccounts and pods are in the core group
    verbs_low = {v.lower() for v in verbs}
    res_low = {r.lower() for r in resources}
    if "*" in verbs_low or "*" in res_low:
        return []  # every verb or every resource: NHI_K8S_010's finding
    found: list[tuple[str, list[str]]] = []
    for sub, (uses, _why) in SUBRESOURCES.items():
        wildcard = "*/" + sub.split("/", 1)[1]
        if sub in res_low or wildcard in res_low:
            granted = sorted(verbs_low & uses)
            if granted:
                found.append((sub if sub in res_low else wildcard, granted))
    return found


class ClusterRoleTokenOrExec(Rule):
    """## What it does
    Flags a `ClusterRole` (`kubernetes_cluster_role[_v1]`) with a rule that grants, on
    every object of the core API group (no `resource_names`):

    * `create` on `serviceaccounts/token`: the TokenRequest API, a token for any service
      account;
    * `create` (or `get`) on `pods/exec` or `pods/attach`: a shell in any pod.

    `*/token`, `*/exec` and `*/attach` count too. Rules with `*` verbs or resources are
    NHI_K8S_010's and not reported again. A namespaced `Role` is limited to its namespace
    and not reported; neither is a rule restricted to named service accounts or pods.

    ## Why is this bad?
    None of these is a wildcard, yet each hands the holder every other identity in the
    cluster. With `serviceaccounts/token` it requests a token for a controller's service
    account bound to `cluster-admin`; with `pods/exec` it runs commands in the pods of such
    controllers and reads their projected token and mounted secrets. It is the same
    escalation as `impersonate`, without the keyword. (`get` is reported too: older API servers
    authorized exec and attach over WebSocket with `get`.)

    ## Example
    ```hcl
    resource "kubernetes_cluster_role_v1" "ci" {
      metadata { name = "ci-debug" }
      rule {
        api_groups = [""]
        resources  = ["pods", "pods/exec", "serviceaccounts/token"]
        verbs      = ["get", "list", "create"]
      }
    }
    ```

    ## Use instead
    Grant exec in the namespace that needs it (a `Role`), and token requests only for the
    service accounts named in `resource_names`:
    ```hcl
    resource "kubernetes_role_v1" "ci_debug" {
      metadata {
        name      = "ci-debug"
        namespace = "staging"
      }
      rule {
        api_groups = [""]
        resources  = ["pods", "pods/exec"]
        verbs      = ["get", "list", "create"]
      }
    }

    resource "kubernetes_cluster_role_v1" "token_broker" {
      metadata { name = "token-broker" }
      rule {
        api_groups     = [""]
        resources      = ["serviceaccounts/token"]
        resource_names = ["deployer"]
        verbs          = ["create"]
      }
    }
    ```
    """

    id = "NHI_K8S_011"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "ClusterRole can mint service account tokens or exec into any pod"
    fix = "Move exec/attach into a namespaced Role; limit serviceaccounts/token to named accounts (resource_names)."
    resource_types = CLUSTER_ROLE_TYPES

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for i, rule in enumerate(iter_blocks(res.get("rule"))):
            found = token_or_exec(rule)
            if not found:
                continue
            shown = "; ".join(f"{', '.join(f'`{v}`' for v in verbs)} on `{sub}` ({_why(sub)})" for sub, verbs in found)
            yield Violation(
                f"ClusterRole {res.address} rule #{i + 1} grants {shown}",
                f"rule.{i}",
                key=f"rule.{i}:" + ",".join(sub for sub, _ in found),
            )
