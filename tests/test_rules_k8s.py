"""Kubernetes rules: token/exec ClusterRoles (NHI_K8S_011) and plan widening of RBAC (NHI_K8S_050)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.policy.config import Config
from scanner.rules.kubernetes.nhi_k8s_050_plan_widens_rbac import additions, read_rules


def _plan_builder() -> Any:
    spec = importlib.util.spec_from_file_location("plan_fixture", ROOT / "scripts" / "plan_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hcl(tmp_path: Path, text: str, rule_id: str) -> list[tuple[str, str, str]]:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    return [(f.resource, str(f.severity), f.message) for f in report.findings if f.rule_id == rule_id]


def plan(tmp_path: Path, resources: list[dict[str, Any]], rule_id: str) -> list[tuple[str, str, str]]:
    built = _plan_builder().build({"resources": resources})
    for rc in built["resource_changes"]:
        if rc["change"]["actions"] == ["replace"]:
            rc["change"]["actions"] = ["delete", "create"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(built), encoding="utf-8")
    report = scan([str(path)], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    return [(f.resource, str(f.severity), f.message) for f in report.findings if f.rule_id == rule_id]


def cluster_role(name: str, *rules: str) -> str:
    body = "\n".join(f"  rule {{\n{r}\n  }}" for r in rules)
    return f'resource "kubernetes_cluster_role_v1" "{name}" {{\n  metadata {{ name = "{name}" }}\n{body}\n}}\n'


# --- NHI_K8S_011 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('api_groups = [""]\n resources = ["serviceaccounts/token"]\n verbs = ["create"]', "serviceaccounts/token"),
        ('api_groups = ["*"]\n resources = ["pods/attach"]\n verbs = ["create"]', "pods/attach"),
        ('api_groups = [""]\n resources = ["pods/exec"]\n verbs = ["get"]', "pods/exec"),
        ('api_groups = [""]\n resources = ["*/token"]\n verbs = ["create"]', "*/token"),
        ('api_groups = [""]\n resources = ["serviceaccounts/token"]\n verbs = ["get", "list"]', None),
        ('api_groups = [""]\n resources = ["serviceaccounts"]\n verbs = ["create"]', None),
        ('api_groups = ["apps"]\n resources = ["pods/exec"]\n verbs = ["create"]', None),
        ('api_groups = [""]\n resources = ["pods/exec"]\n resource_names = ["debug"]\n verbs = ["create"]', None),
        ('api_groups = [""]\n resources = ["pods/exec"]\n verbs = ["*"]', None),  # NHI_K8S_010's
        ('api_groups = [""]\n resources = ["*"]\n verbs = ["create"]', None),  # NHI_K8S_010's
        ('resources = ["pods/exec"]\n verbs = ["create"]', None),  # no api_groups: matches nothing
        ('api_groups = var.groups\n resources = ["pods/exec"]\n verbs = ["create"]', None),
    ],
)
def test_k8s_011_subresources(tmp_path: Path, rule: str, expected: str | None) -> None:
    got = hcl(tmp_path, cluster_role("r", rule) + 'variable "groups" { type = list(string) }\n', "NHI_K8S_011")
    if expected is None:
        assert got == []
    else:
        assert [s for _, s, _ in got] == ["high"]
        assert f"`{expected}`" in got[0][2]


def test_k8s_011_namespaced_role_is_not_reported(tmp_path: Path) -> None:
    text = """
resource "kubernetes_role_v1" "r" {
  metadata {
    name      = "r"
    namespace = "apps"
  }
  rule {
    api_groups = [""]
    resources  = ["pods/exec", "serviceaccounts/token"]
    verbs      = ["create"]
  }
}
"""
    assert hcl(tmp_path, text, "NHI_K8S_011") == []


def test_k8s_011_one_finding_per_rule_names_each_subresource(tmp_path: Path) -> None:
    got = hcl(
        tmp_path,
        cluster_role(
            "r", 'api_groups = [""]\n resources = ["pods/exec", "serviceaccounts/token"]\n verbs = ["create", "get"]'
        ),
        "NHI_K8S_011",
    )
    assert len(got) == 1
    message = got[0][2]
    assert "`create` on `serviceaccounts/token`" in message and "`create`, `get` on `pods/exec`" in message


# --- NHI_K8S_050: rule comparison ----------------------------------------------------------------


def _rules(*blocks: dict[str, Any]) -> Any:
    rules = read_rules(list(blocks))
    assert rules is not None
    return rules


def r(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> dict[str, Any]:
    return {"api_groups": groups, "resources": resources, "verbs": verbs, "resource_names": names or []}


@pytest.mark.parametrize(
    ("old", "new", "added"),
    [
        ([r([""], ["pods"], ["get"])], [r([""], ["pods"], ["get", "list"])], {"`pods`": ["list"]}),
        ([r([""], ["pods"], ["*"])], [r([""], ["pods"], ["get", "delete"])], {}),
        ([r(["*"], ["pods"], ["get"])], [r([""], ["pods"], ["get"])], {}),
        ([r([""], ["pods"], ["get"])], [r(["*"], ["pods"], ["get"])], {"`pods.*`": ["get"]}),
        ([r(["apps"], ["*"], ["get"])], [r(["apps"], ["deployments", "replicasets"], ["get"])], {}),
        ([r(["apps"], ["*/scale"], ["update"])], [r(["apps"], ["deployments/scale"], ["update"])], {}),
        (
            [r(["apps"], ["deployments/scale"], ["update"])],
            [r(["apps"], ["*/scale"], ["update"])],
            {"`*/scale.apps`": ["update"]},
        ),
        ([r([""], ["secrets"], ["get"], ["ca"])], [r([""], ["secrets"], ["get"])], {"`secrets`": ["get"]}),
        ([r([""], ["secrets"], ["get"])], [r([""], ["secrets"], ["get"], ["ca"])], {}),
        (
            [r([""], ["secrets"], ["get"], ["ca"])],
            [r([""], ["secrets"], ["get"], ["ca", "tls"])],
            {"`secrets` named `tls`": ["get"]},
        ),
        ([], [r([""], ["configmaps"], ["list"])], {"`configmaps`": ["list"]}),
    ],
)
def test_k8s_050_additions(old: list[dict[str, Any]], new: list[dict[str, Any]], added: dict[str, list[str]]) -> None:
    assert additions(_rules(*new), _rules(*old)) == added


def test_k8s_050_non_resource_urls() -> None:
    old = _rules({"non_resource_urls": ["/healthz", "/metrics/*"], "verbs": ["get"]})
    new = _rules({"non_resource_urls": ["/healthz", "/metrics/cadvisor", "/debug/pprof"], "verbs": ["get"]})
    assert additions(new, old) == {"non-resource URL `/debug/pprof`": ["get"]}


def test_k8s_050_unknown_rule_fields_are_not_compared() -> None:
    from scanner.model.values import Unknown

    assert read_rules(Unknown("var.rules")) is None
    new = _rules({"api_groups": [""], "resources": ["pods"], "verbs": Unknown("var.verbs")})
    assert additions(new, []) == {}


# --- NHI_K8S_050: plans -------------------------------------------------------------------------

META = [{"name": "ci", "namespace": "apps"}]


def _role(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": META, "rule": rules}


def _binding(kind: str, name: str, subjects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": META,
        "role_ref": [{"api_group": "rbac.authorization.k8s.io", "kind": kind, "name": name}],
        "subject": subjects,
    }


SA_CI = {"kind": "ServiceAccount", "name": "ci", "namespace": "ci", "api_group": ""}


def test_k8s_050_role_update_lists_additions(tmp_path: Path) -> None:
    got = plan(
        tmp_path,
        [
            {
                "address": "kubernetes_role_v1.ci",
                "action": "update",
                "before": _role([r(["apps"], ["deployments"], ["get"])]),
                "values": _role([r(["apps"], ["deployments"], ["get", "patch"]), r([""], ["secrets"], ["list"])]),
            }
        ],
        "NHI_K8S_050",
    )
    assert [(a, s) for a, s, _ in got] == [("kubernetes_role_v1.ci", "high")]
    assert "`patch` on `deployments.apps`" in got[0][2] and "`list` on `secrets`" in got[0][2]


def test_k8s_050_read_only_addition_is_medium_and_create_is_not_reported(tmp_path: Path) -> None:
    got = plan(
        tmp_path,
        [
            {
                "address": "kubernetes_role_v1.ci",
                "action": "update",
                "before": _role([r([""], ["pods"], ["get"])]),
                "values": _role([r([""], ["pods", "services"], ["get"])]),
            },
            {"address": "kubernetes_role_v1.new", "values": _role([r(["*"], ["*"], ["*"])])},
        ],
        "NHI_K8S_050",
    )
    assert [(a, s) for a, s, _ in got] == [("kubernetes_role_v1.ci", "medium")]


def test_k8s_050_unknown_after_is_not_compared(tmp_path: Path) -> None:
    got = plan(
        tmp_path,
        [
            {
                "address": "kubernetes_role_v1.ci",
                "action": "update",
                "unknown": ["rule"],
                "before": _role([r([""], ["pods"], ["get"])]),
                "values": _role([]),
                "refs": {"rule": ["var.rules"]},
            }
        ],
        "NHI_K8S_050",
    )
    assert got == []


def test_k8s_050_binding_subjects_and_role_ref(tmp_path: Path) -> None:
    other = {"kind": "ServiceAccount", "name": "default", "namespace": "apps", "api_group": ""}
    got = plan(
        tmp_path,
        [
            {
                "address": "kubernetes_role_binding_v1.more",
                "action": "update",
                "before": _binding("Role", "ci", [SA_CI]),
                "values": _binding("Role", "ci", [SA_CI, other]),
            },
            {
                "address": "kubernetes_role_binding_v1.same",
                "action": "update",
                "before": _binding("Role", "ci", [SA_CI, other]),
                "values": _binding("Role", "ci", [other, SA_CI]),
            },
            {
                "address": "kubernetes_cluster_role_binding_v1.up",
                "action": "replace",
                "before": _binding("ClusterRole", "view", [SA_CI]),
                "values": _binding("ClusterRole", "admin", [SA_CI]),
            },
            {
                "address": "kubernetes_cluster_role_binding_v1.down",
                "action": "replace",
                "before": _binding("ClusterRole", "cluster-admin", [SA_CI]),
                "values": _binding("ClusterRole", "my-role", [SA_CI]),
            },
            {
                "address": "kubernetes_cluster_role_binding_v1.custom",
                "action": "replace",
                "before": _binding("ClusterRole", "a", [SA_CI]),
                "values": _binding("ClusterRole", "b", [SA_CI]),
            },
        ],
        "NHI_K8S_050",
    )
    by_address = {a: m for a, _, m in got}
    assert set(by_address) == {
        "kubernetes_role_binding_v1.more",
        "kubernetes_cluster_role_binding_v1.up",
        "kubernetes_cluster_role_binding_v1.custom",
    }
    assert "adds subjects ServiceAccount apps/default" in by_address["kubernetes_role_binding_v1.more"]
    assert "ClusterRole `admin` instead of ClusterRole `view`" in by_address["kubernetes_cluster_role_binding_v1.up"]
    assert "replacement" in by_address["kubernetes_cluster_role_binding_v1.custom"]


def test_k8s_050_role_ref_to_a_covered_role_of_the_plan(tmp_path: Path) -> None:
    def role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "address": f"kubernetes_cluster_role_v1.{name}",
            "values": {"metadata": [{"name": name}], "rule": rules},
        }

    got = plan(
        tmp_path,
        [
            role("big", [r(["apps"], ["*"], ["*"])]),
            role("small", [r(["apps"], ["deployments"], ["get"])]),
            {
                "address": "kubernetes_cluster_role_binding_v1.narrow",
                "action": "replace",
                "before": _binding("ClusterRole", "big", [SA_CI]),
                "values": _binding("ClusterRole", "small", [SA_CI]),
            },
            {
                "address": "kubernetes_cluster_role_binding_v1.wide",
                "action": "replace",
                "before": _binding("ClusterRole", "small", [SA_CI]),
                "values": _binding("ClusterRole", "big", [SA_CI]),
            },
        ],
        "NHI_K8S_050",
    )
    assert [a for a, _, _ in got] == ["kubernetes_cluster_role_binding_v1.wide"]


def test_k8s_050_never_fires_on_hcl(tmp_path: Path) -> None:
    got = hcl(tmp_path, cluster_role("r", 'api_groups = ["*"]\n resources = ["*"]\n verbs = ["*"]'), "NHI_K8S_050")
    assert got == []
