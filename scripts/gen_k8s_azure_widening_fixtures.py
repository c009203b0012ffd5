"""Write fixtures/plan/k8s_plan_widening.json and fixtures/plan/azure_plan_widening.json:
in-place updates (and binding replacements) of Kubernetes RBAC and Azure custom roles.

    python scripts/gen_k8s_azure_widening_fixtures.py
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
sys.path.insert(0, "scripts")
from plan_fixture import build  # noqa: E402

RBAC = "rbac.authorization.k8s.io"


def meta(name, namespace=None):
    out = {"name": name, "annotations": {}, "labels": {}, "generation": 0, "resource_version": "4711",
           "uid": "6f0c2a4e-0000-4000-8000-000000000000"}
    if namespace:
        out["namespace"] = namespace
    return [out]


def rule(groups, resources, verbs, names=(), urls=()):
    return {"api_groups": list(groups), "resources": list(resources), "verbs": list(verbs),
            "resource_names": list(names), "non_resource_urls": list(urls)}


def role(name, rules, namespace="apps"):
    return {"metadata": meta(name, namespace), "rule": rules, "id": f"{namespace}/{name}"}


def cluster_role(name, rules, selectors=None):
    agg = [{"cluster_role_selectors": [{"match_labels": s, "match_expressions": []} for s in selectors]}] \
        if selectors else []
    return {"metadata": meta(name), "rule": rules, "aggregation_rule": agg, "id": name}


def sa(name, namespace):
    return {"api_group": "", "kind": "ServiceAccount", "name": name, "namespace": namespace}


def group(name):
    return {"api_group": RBAC, "kind": "Group", "name": name, "namespace": ""}


def binding(name, kind, role_name, subjects, namespace="apps"):
    out = {"metadata": meta(name, namespace if kind == "Role" or namespace else None),
           "role_ref": [{"api_group": RBAC, "kind": kind, "name": role_name}], "subject": subjects}
    out["id"] = f"{namespace}/{name}" if namespace else name
    return out


DEPLOY = rule(["apps"], ["deployments"], ["get", "list", "patch"])
k8s = {"resources": [
    # Role gains secrets and exec: listed exactly.
    {"address": "kubernetes_role_v1.ci", "expect": "NHI_K8S_050", "action": "update",
     "before": role("ci", [DEPLOY]),
     "values": role("ci", [DEPLOY, rule([""], ["secrets", "pods/exec"], ["get", "create"])])},
    # ClusterRole gains `*` on a group it only read before (and K8S_010 fires on the result).
    {"address": "kubernetes_cluster_role_v1.operator", "expect": "NHI_K8S_010, NHI_K8S_050", "action": "update",
     "before": cluster_role("operator", [rule(["batch"], ["jobs"], ["get", "list", "watch"])]),
     "values": cluster_role("operator", [rule(["batch"], ["jobs"], ["*"])])},
    # ClusterRole gains read on config maps only: medium, still listed.
    {"address": "kubernetes_cluster_role.dashboard", "expect": "NHI_K8S_050", "action": "update",
     "before": cluster_role("dashboard", [rule([""], ["pods"], ["get", "list"])]),
     "values": cluster_role("dashboard", [rule([""], ["pods", "configmaps"], ["get", "list"])])},
    # Aggregated ClusterRole gains a selector: every role with that label flows in.
    {"address": "kubernetes_cluster_role_v1.monitoring", "expect": "NHI_K8S_050", "action": "update",
     "before": cluster_role("monitoring", [], [{"rbac.acme.example/aggregate-to-monitoring": "true"}]),
     "values": cluster_role("monitoring", [], [{"rbac.acme.example/aggregate-to-monitoring": "true"},
                                               {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}])},
    # Narrowing and reordering: nothing added.
    {"address": "kubernetes_role_v1.reader", "expect": "none", "action": "update",
     "before": role("reader", [rule([""], ["pods", "services"], ["get", "list", "watch"]),
                               rule(["apps"], ["*"], ["get"])]),
     "values": role("reader", [rule(["apps"], ["deployments"], ["get"]),
                               rule([""], ["services", "pods"], ["list", "get"])])},
    # A new rule already covered by the old wildcard verb; a label-only change.
    {"address": "kubernetes_cluster_role_v1.batch_admin", "expect": "none", "action": "update",
     "before": cluster_role("batch-admin", [rule(["batch"], ["jobs", "cronjobs"], ["*"])]),
     "values": cluster_role("batch-admin", [rule(["batch"], ["jobs"], ["get", "delete"]),
                                            rule(["batch"], ["cronjobs"], ["get", "list", "create"])])},
    # Binding gains a service account and a group.
    {"address": "kubernetes_role_binding_v1.ci", "expect": "NHI_K8S_050", "action": "update",
     "before": binding("ci", "Role", "ci", [sa("ci", "ci")]),
     "values": binding("ci", "Role", "ci", [sa("ci", "ci"), sa("default", "staging"),
                                            group("system:serviceaccounts:staging")])},
    # Binding loses a subject: narrower.
    {"address": "kubernetes_role_binding_v1.readers", "expect": "none", "action": "update",
     "before": binding("readers", "Role", "reader", [sa("ci", "ci"), sa("audit", "audit")]),
     "values": binding("readers", "Role", "reader", [sa("audit", "audit")])},
    # role_ref cannot change in place: the replacement binds a bigger built-in role.
    {"address": "kubernetes_cluster_role_binding_v1.deployer", "expect": "NHI_K8S_050", "action": "replace",
     "before": binding("deployer", "ClusterRole", "view", [sa("deployer", "ci")], namespace=None),
     "values": binding("deployer", "ClusterRole", "edit", [sa("deployer", "ci")], namespace=None)},
    # Replaced to bind a smaller built-in role: narrower.
    {"address": "kubernetes_cluster_role_binding_v1.auditor", "expect": "none", "action": "replace",
     "before": binding("auditor", "ClusterRole", "edit", [sa("auditor", "audit")], namespace=None),
     "values": binding("auditor", "ClusterRole", "view", [sa("auditor", "audit")], namespace=None)},
    # Replaced to bind a role of the plan whose rules the old role covers.
    {"address": "kubernetes_role_binding_v1.jobs", "expect": "none", "action": "replace",
     "before": binding("jobs", "ClusterRole", "batch-admin", [sa("scheduler", "apps")]),
     "values": binding("jobs", "ClusterRole", "dashboard", [sa("scheduler", "apps")])},
]}

# The dashboard role reads pods and configmaps, batch-admin manages jobs: that is *not* narrower.
k8s["resources"][-1]["expect"] = "NHI_K8S_050"
# ... and one that is: from the (plan's) operator role to a role reading jobs.
k8s["resources"].append(
    {"address": "kubernetes_cluster_role_v1.job_reader", "expect": "none",
     "values": cluster_role("job-reader", [rule(["batch"], ["jobs"], ["get", "list"])])})
k8s["resources"].append(
    {"address": "kubernetes_role_binding_v1.job_watch", "expect": "none", "action": "replace",
     "before": binding("job-watch", "ClusterRole", "operator", [sa("watcher", "apps")]),
     "values": binding("job-watch", "ClusterRole", "job-reader", [sa("watcher", "apps")])})

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = SUB + "/resourceGroups/shop"


def role_def(name, actions, not_actions=(), data_actions=(), not_data_actions=(), scopes=(RG,)):
    return {"name": name, "scope": SUB, "description": "", "role_definition_id": "1b2c3d4e-0000-4000-8000-0000000000aa",
            "role_definition_resource_id": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/x",
            "permissions": [{"actions": list(actions), "not_actions": list(not_actions),
                             "data_actions": list(data_actions), "not_data_actions": list(not_data_actions)}],
            "assignable_scopes": list(scopes), "id": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/x|{SUB}"}


WEB = ["Microsoft.Web/sites/read", "Microsoft.Web/sites/restart/action"]
azure = {"resources": [
    # A deployment role gains role-assignment writes (a self-grant of Owner).
    {"address": "azurerm_role_definition.deployer", "expect": "NHI_AZ_010, NHI_AZ_050", "action": "update",
     "before": role_def("app-deployer", WEB),
     "values": role_def("app-deployer", [*WEB, "Microsoft.Authorization/roleAssignments/write"])},
    # `*` minus authorization writes becomes plain `*` (NHI_AZ_010 fires on the result too).
    {"address": "azurerm_role_definition.platform", "expect": "NHI_AZ_010, NHI_AZ_050", "action": "update",
     "before": role_def("platform", ["*"], ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"]),
     "values": role_def("platform", ["*"], ["Microsoft.Authorization/*/Delete"])},
    # Blob data read gains blob data write; assignable from the resource group to the subscription.
    {"address": "azurerm_role_definition.blob_reader", "expect": "NHI_AZ_050", "action": "update",
     "before": role_def("blob-reader", ["Microsoft.Storage/storageAccounts/read"],
                        data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]),
     "values": role_def("blob-reader", ["Microsoft.Storage/storageAccounts/read"],
                        data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
                        scopes=[SUB])},
    # Only an added read and a wider assignable scope: medium.
    {"address": "azurerm_role_definition.monitor", "expect": "NHI_AZ_050", "action": "update",
     "before": role_def("monitor", ["Microsoft.Insights/metrics/read"]),
     "values": role_def("monitor", ["Microsoft.Insights/metrics/read", "Microsoft.Insights/logs/read"],
                        scopes=[RG, RG.replace("shop", "billing")])},
    # Narrower: an action dropped, an action already covered by a wildcard, a narrower scope.
    {"address": "azurerm_role_definition.storage_ops", "expect": "none", "action": "update",
     "before": role_def("storage-ops", ["Microsoft.Storage/*", "Microsoft.Resources/subscriptions/resourceGroups/read"],
                        ["Microsoft.Storage/storageAccounts/delete"], scopes=[SUB]),
     "values": role_def("storage-ops", ["Microsoft.Storage/storageAccounts/read",
                                        "Microsoft.Storage/storageAccounts/listKeys/action"],
                        ["Microsoft.Storage/storageAccounts/delete"], scopes=[RG])},
    # Only the description changes.
    {"address": "azurerm_role_definition.reader", "expect": "none", "action": "update",
     "before": role_def("reader-plus", ["*/read"]),
     "values": {**role_def("reader-plus", ["*/read"]), "description": "Reads everything in the shop"}},
]}

for spec, path in ((k8s, "fixtures/plan/k8s_plan_widening.json"), (azure, "fixtures/plan/azure_plan_widening.json")):
    plan = build(spec)
    for rc in plan["resource_changes"]:
        if rc["change"]["actions"] == ["replace"]:
            rc["change"]["actions"] = ["delete", "create"]
            rc["action_reason"] = "replace_because_cannot_update"
            rc["change"]["replace_paths"] = [["role_ref"]]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(plan, indent=2) + "\n")
