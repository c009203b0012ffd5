"""Real-world plan corpus (fixtures/plan/realworld): what real `terraform show -json` plans contain.

tests/test_fixtures.py already requires exactly the annotated findings of each plan. This file
checks what annotations cannot say: no load error, the line of every finding, how each kind of
change is treated (moved, imported, replaced, deposed, deleted, read, drifted), sensitive values
kept out of every format, and compact single-line JSON (what Terraform writes) scanning the same.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from annotations import from_plan
from conftest import FIXTURES, ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.model.report import Report
from scanner.policy.config import Config
from scanner.reporters import get_reporter

CORPUS = FIXTURES / "plan" / "realworld"
PLANS = sorted(CORPUS.glob("*.json"))
SECRETS = ["Rw0rld-Pl4n-Secret-Value-0001", "Rw0rld-Pl4n-Old-Secret-0000", "ZXhhbXBsZS1vbmx5LW9sZC1rZXk="]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(ROOT)
    yield


def _scan(path: Path | str, include_unchanged: bool = False) -> Report:
    return scan([str(path)], ScanOptions(config=Config(), today=TODAY, include_unchanged=include_unchanged)).report


def _plan(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return data


def _entry_lines(path: Path) -> dict[str, int]:
    """Address -> line of its resource_changes entry (its "address" key)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(n for n, text in enumerate(lines) if text.startswith('  "resource_changes"'))
    out: dict[str, int] = {}
    for n, text in enumerate(lines[start:], start + 1):
        stripped = text.strip()
        if stripped.startswith('"address": "'):
            out.setdefault(json.loads(stripped.removeprefix('"address": ').rstrip(",")), n)
    return out


def test_the_corpus_covers_what_real_plans_hold() -> None:
    seen: set[str] = set()
    for path in PLANS:
        data = json.loads(path.read_text(encoding="utf-8"))
        for rc in data["resource_changes"]:
            if rc["address"].count("module.") >= 3:
                seen.add("modules nested three deep")
            if isinstance(rc.get("index"), int):
                seen.add("count")
            if isinstance(rc.get("index"), str):
                seen.add("for_each")
            if rc["mode"] == "data":
                seen.add("data source")
            if "previous_address" in rc:
                seen.add("moved")
            if rc["change"].get("importing"):
                seen.add("import")
            if rc["change"]["actions"] in (["delete", "create"], ["create", "delete"]) and "action_reason" in rc:
                seen.add("replace with action_reason")
            if "deposed" in rc:
                seen.add("deposed")
        if data.get("resource_drift"):
            seen.add("resource_drift")
        if any(o["after_sensitive"] is True for o in data.get("output_changes", {}).values()):
            seen.add("sensitive outputs")
    assert seen == {
        "modules nested three deep",
        "count",
        "for_each",
        "data source",
        "moved",
        "import",
        "replace with action_reason",
        "deposed",
        "resource_drift",
        "sensitive outputs",
    }


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_no_error_and_every_finding_on_its_entry_line(path: Path) -> None:
    report = _scan(path.relative_to(ROOT))
    assert report.errors == []
    assert report.summary.incomplete is False
    lines = _entry_lines(path)
    for f in report.findings:
        assert f.file == str(path.relative_to(ROOT))
        want = lines.get(f.resource, 1)
        if f.resource.startswith("output."):
            continue  # outputs point at the output_changes section
        assert f.line == want, f"{f.rule_id} on {f.resource}: line {f.line}, entry at {want}"
    expected, _ = from_plan(path)
    assert sum(sum(c.values()) for c in expected.values()) == len(report.findings)


def test_how_each_kind_of_change_is_treated() -> None:
    report = _scan(CORPUS / "aws_platform.json")
    actions = {i.resource: i.action for i in report.inventory}
    # moved (previous_address) and updated: scanned under its new address only
    assert actions['module.platform.aws_iam_role.service["api"]'] == "update"
    assert not any("aws_iam_role.api" in i.resource for i in report.inventory)
    # replaced because a forced-new attribute changed
    assert actions['module.platform.aws_iam_role.service["worker"]'] == "replace"
    # imported by an `import` block without changes: scanned as new to this configuration
    assert actions["aws_iam_user.jenkins"] == "import"
    assert {f.rule_id for f in report.findings if f.resource == "aws_iam_user.jenkins"} == {
        "NHI_APR_001",
        "NHI_APR_002",
    }
    # deposed and deleted objects, and data sources read during apply: nothing to govern
    for gone in (
        "module.platform.aws_iam_role.legacy_ci",
        "aws_iam_access_key.old_rotation",
        "module.platform.data.aws_caller_identity.current",
    ):
        assert gone not in actions
        assert all(f.resource != gone for f in report.findings)
    # drift: a tag someone set by hand is not what this plan applies
    payments = next(
        i
        for i in report.inventory
        if i.resource.startswith('module.platform.module.teams["payments"]') and i.resource_type == "aws_iam_user"
    )
    assert payments.owner == "team-payments"


def test_unchanged_moved_resources_only_with_include_unchanged() -> None:
    moved = "module.gke.kubernetes_cluster_role_binding_v1.viewers"
    assert moved not in {i.resource for i in _scan(CORPUS / "gke_platform.json").inventory}
    report = _scan(CORPUS / "gke_platform.json", include_unchanged=True)
    assert {i.resource: i.action for i in report.inventory}[moved] == "no-op"
    assert all(f.resource != moved for f in report.findings)


def test_entra_password_from_a_shared_module_with_and_without_end_date() -> None:
    report = _scan(CORPUS / "azure_vault.json")
    by_resource = {(f.resource, f.rule_id) for f in report.findings}
    assert (
        'module.apps.module.app["reports"].module.credentials[0].azuread_application_password.ci',
        "NHI_AZ_001",
    ) in by_resource
    assert not any(r.startswith('module.apps.module.app["billing"].module.credentials') for r, _ in by_resource)


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_sensitive_values_in_no_format(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    planted = [s for s in SECRETS if s in text]
    report = _scan(path)
    for fmt in ("text", "json", "sarif", "markdown"):
        out = get_reporter(fmt)(report, False)
        for secret in planted:
            assert secret not in out, f"{path.name} ({fmt}) shows a sensitive value"


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_compact_json_as_terraform_writes_it_scans_the_same(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relative = path.relative_to(ROOT)
    pretty = _scan(relative)
    compact = tmp_path / relative  # the same relative path: fingerprints include it
    compact.parent.mkdir(parents=True)
    compact.write_text(
        json.dumps(json.loads(path.read_text(encoding="utf-8")), separators=(",", ":")), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    one_line = _scan(relative)
    assert one_line.errors == []
    assert sorted((f.resource, f.rule_id, f.fingerprint) for f in pretty.findings) == sorted(
        (f.resource, f.rule_id, f.fingerprint) for f in one_line.findings
    )
    assert {f.line for f in one_line.findings} == {1}


def test_scanning_the_whole_corpus_together() -> None:
    report = scan([os.path.relpath(p, ROOT) for p in PLANS], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    assert report.summary.files_scanned == len(PLANS)
    assert report.summary.total == sum(len(_scan(p).findings) for p in PLANS)
