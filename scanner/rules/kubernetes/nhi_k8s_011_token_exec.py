from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Problem
from scanner.rules.kubernetes.rbac import CLUSTER_ROLE_TYPES, RbacRule, RoleBlockRule

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


def _why(written: str) -> str:
    suffix = written.split("/", 1)[1]
    return next(why for sub, (_, why) in SUBRESOURCES.items() if sub.endswith("/" + suffix))


def token_or_exec(rule: RbacRule) -> list[tuple[str, list[str]]]:
    """(subresource as written, verbs) this rule grants on every object of the core group, for SUBRESOURCES."""
    if rule.unknown - {"non_resource_urls"} or rule.names:
        return []  # cannot tell, or limited to named objects
    if not {"", "*"} & rule.groups:
        return []  # serviceaccounts and pods are in the core group
    if "*" in rule.verbs or "*" in rule.resources:
        return []  # every verb or every resource: NHI_K8S_010's finding
    found: list[tuple[str, list[str]]] = []
    for sub, (uses, _why) in SUBRESOURCES.items():
        wildcard = "*/" + sub.split("/", 1)[1]
        if sub in rule.resources or wildcard in rule.resources:
            granted = sorted(rule.verbs & uses)
            if granted:
                found.append((sub if sub in rule.resources else wildcard, granted))
    return found


class ClusterRoleTokenOrExec(RoleBlockRule):
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
    Allow token requests only for the service accounts named in `resource_names`:
    ```hcl
    resource "kubernetes_cluster_role_v1" "token_broker" {
      metadata { name = "token-broker" }
      rule {
        resource_names = ["deployer", "migrator"]
        api_groups     = [""]
        resources      = ["serviceaccounts/token"]
        verbs          = ["create"]
      }
    }
    ```
    and grant `pods/exec` with a `Role`, in the one namespace that needs it.
    """

    id = "NHI_K8S_011"
    severity = Severity.HIGH
    title = "ClusterRole can mint service account tokens or exec into any pod"
    fix = "Move exec/attach into a namespaced Role; limit serviceaccounts/token to named accounts (resource_names)."
    resource_types = CLUSTER_ROLE_TYPES

    def problems(self, res: Resource, rule: RbacRule, ctx: Context) -> Iterable[Problem]:
        found = token_or_exec(rule)
        if not found:
            return
        shown = "; ".join(f"{', '.join(f'`{v}`' for v in verbs)} on `{sub}` ({_why(sub)})" for sub, verbs in found)
        yield Problem(shown, key=",".join(sub for sub, _ in found))
