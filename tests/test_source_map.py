"""Plan findings point at the .tf lines of their declaration (``--source-dir``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.cli import main
from scanner.loaders.source_map import module_names
from scanner.model.report import Report
from scanner.policy.config import Config
from scanner.reporters.sarif import to_sarif

CASE = "tests/data/action/source_map"
PLAN = f"{CASE}/plan.json"
INFRA = f"{CASE}/infra"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def line_of(path: str, needle: str) -> int:
    for i, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def run(plan: str = PLAN, source_dir: str | None = INFRA) -> Report:
    return scan([plan], ScanOptions(config=Config(), today=TODAY, source_dir=source_dir)).report


def where(report: Report) -> dict[tuple[str, str], tuple[str, int]]:
    return {(f.resource, f.rule_id): (f.file, f.line) for f in report.findings}


APP = f"{INFRA}/modules/app/main.tf"
WORKER = f"{INFRA}/modules/worker/main.tf"
NESTED = f"{INFRA}/modules/nested/main.tf"
ROOT_TF = f"{INFRA}/main.tf"


def expected() -> dict[str, tuple[str, int]]:
    role = 'resource "aws_iam_role" "this"'
    return {
        # count instances: both point at the one block; NHI_AWS_001 is on `user`
        "aws_iam_access_key.ci[0]": (ROOT_TF, line_of(ROOT_TF, "user  = aws_iam_user.ci.name")),
        "aws_iam_access_key.ci[1]": (ROOT_TF, line_of(ROOT_TF, "user  = aws_iam_user.ci.name")),
        # same type and name in two modules: each through its own call
        "module.a.aws_iam_role.this": (APP, line_of(APP, role)),
        "module.b.aws_iam_role.this": (WORKER, line_of(WORKER, role)),
        # a for_each module instance whose key holds a dot
        'module.c["x.y"].aws_iam_role.this': (APP, line_of(APP, role)),
        # nested module: ../nested relative to modules/app
        "module.a.module.nested.aws_iam_user.svc": (NESTED, 1),
        'module.c["x.y"].module.nested.aws_iam_user.svc': (NESTED, 1),
        # a registry module: the module block that calls it
        "module.remote.aws_iam_user.this[0]": (ROOT_TF, line_of(ROOT_TF, 'module "remote"')),
    }


def test_plan_findings_point_at_source_lines() -> None:
    report = run()
    got = {f.resource: (f.file, f.line) for f in report.findings if f.rule_id in ("NHI_AWS_001", "NHI_OWN_001")}
    want = expected()
    for address, loc in want.items():
        assert got[address] == loc, address
    assert line_of(APP, 'resource "aws_iam_role"') != line_of(WORKER, 'resource "aws_iam_role"')
    # no declaration anywhere: the plan location stays
    ghost = got["aws_iam_user.ghost"]
    assert ghost[0] == PLAN and ghost[1] == line_of(PLAN, '"address": "aws_iam_user.ghost"')


def test_inventory_uses_source_lines_and_fingerprints_do_not_change() -> None:
    mapped, plain = run(), run(source_dir=None)
    items = {i.resource: (i.file, i.line) for i in mapped.inventory}
    assert items["module.b.aws_iam_role.this"] == expected()["module.b.aws_iam_role.this"]
    assert sorted(f.fingerprint for f in mapped.findings) == sorted(f.fingerprint for f in plain.findings)
    assert {f.file for f in plain.findings} == {PLAN}


def test_plan_without_configuration_uses_module_blocks(tmp_path: Path) -> None:
    data = json.loads((ROOT / PLAN).read_text(encoding="utf-8"))
    del data["configuration"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data), encoding="utf-8")
    got = {(f.resource, f.rule_id): (f.file, f.line) for f in run(str(plan)).findings}
    for address, loc in expected().items():
        rule = "NHI_AWS_001" if "access_key" in address else "NHI_OWN_001"
        assert got[(address, rule)] == loc, address


def test_plan_configuration_source_wins_over_module_blocks(tmp_path: Path) -> None:
    # the plan says module.b comes from ./modules/app: the plan is what Terraform used
    data = json.loads((ROOT / PLAN).read_text(encoding="utf-8"))
    data["configuration"]["root_module"]["module_calls"]["b"]["source"] = "./modules/app"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data), encoding="utf-8")
    got = where(run(str(plan)))
    assert got[("module.b.aws_iam_role.this", "NHI_OWN_001")] == expected()["module.a.aws_iam_role.this"]


def test_missing_module_directory_points_at_the_call(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(ROOT / INFRA, infra)
    shutil.rmtree(infra / "modules" / "worker")
    got = where(run(source_dir=str(infra)))
    file, line = got[("module.b.aws_iam_role.this", "NHI_OWN_001")]
    assert Path(file).name == "main.tf" and Path(file).parent.name == "infra"
    assert line == line_of(ROOT_TF, 'module "b"')


def test_sarif_and_text_use_the_source_location() -> None:
    report = run()
    doc = to_sarif(report)
    locations = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r["locations"][0]["physicalLocation"]
        for r in doc["runs"][0]["results"]
        if r["ruleId"] == "NHI_OWN_001"
    }
    assert locations["module.b.aws_iam_role.this"] == {
        "artifactLocation": {"uri": WORKER, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": expected()["module.b.aws_iam_role.this"][1]},
    }
    result = CliRunner().invoke(main, ["scan", PLAN, "--source-dir", INFRA])
    assert result.exit_code == 1
    assert f"{WORKER}\n  module.b.aws_iam_role.this  (aws_iam_role)\n" in result.stdout


def test_cli_source_dir_must_be_a_directory() -> None:
    result = CliRunner().invoke(main, ["scan", PLAN, "--source-dir", f"{CASE}/nope"])
    assert result.exit_code == 2 and "--source-dir" in result.stderr


def test_hcl_inputs_are_left_alone() -> None:
    report = scan([f"{INFRA}/modules/app"], ScanOptions(config=Config(), today=TODAY, source_dir=INFRA)).report
    # the module it calls is expanded (module.nested), each finding at its own block
    assert {(f.resource, f.file) for f in report.findings} == {
        ("aws_iam_role.this", APP),
        ("module.nested.aws_iam_user.svc", f"{INFRA}/modules/nested/main.tf"),
    }


@pytest.mark.parametrize(
    ("address", "names"),
    [
        ("", ()),
        ("module.a", ("a",)),
        ("module.a[0].module.b", ("a", "b")),
        ('module.a["x.y"].module.b', ("a", "b")),
        ('module.a["k]\\"z"].module.b-c["q"]', ("a", "b-c")),
        ("module.", None),
        ("aws_iam_role.x", None),
        ('module.a["open', None),
    ],
)
def test_module_names(address: str, names: Any) -> None:
    assert module_names(address) == names


def test_local_address_of_every_mode() -> None:
    from scanner.loaders.source_map import local_address
    from scanner.model.resource import Resource

    def res(address: str, mode: str, rtype: str, name: str, module: str = "") -> Resource:
        return Resource(address=address, mode=mode, type=rtype, name=name, attrs={}, file="p", line=1, module=module)

    assert local_address(res('module.a["k"].aws_iam_role.r[0]', "managed", "aws_iam_role", "r", 'module.a["k"]')) == (
        "aws_iam_role.r"
    )
    assert local_address(res("module.a.data.aws_iam_policy_document.d", "data", "aws_iam_policy_document", "d",
                             "module.a")) == "data.aws_iam_policy_document.d"  # fmt: skip
    assert local_address(res("output.key", "output", "output", "key")) == "output.key"
    assert local_address(res("module.a.provider.aws.us", "provider", "aws", "us", "module.a")) == "provider.aws.us"


# --------------------------------------------------------------------------- inline waivers on mapped findings

WAIVE = 'reason="vendor role, replaced in Q1" owner=team-platform expires=2027-03-31'


def waived_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edits: dict[str, tuple[str, str]], newline: str = "\n"
) -> None:
    """plan.json and infra/ in ``tmp_path`` (the working directory), with ``# nhi-guard:ignore ...``
    put on the line after ``needle`` in each ``file``: ``{file: (needle, comment)}``."""
    shutil.copytree(ROOT / INFRA, tmp_path / "infra")
    shutil.copy(ROOT / PLAN, tmp_path / "plan.json")
    for file, (needle, comment) in edits.items():
        path = tmp_path / "infra" / file
        lines = path.read_text(encoding="utf-8").splitlines()
        at = next(i for i, line in enumerate(lines) if needle in line)
        lines.insert(at + 1, f"  {comment}")
        path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    monkeypatch.chdir(tmp_path)


def scan_copy(source_dir: str | None = "infra") -> Report:
    return scan(["plan.json"], ScanOptions(config=Config(), today=TODAY, source_dir=source_dir)).report


def comment_line(file: str) -> int:
    lines = Path(file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if "nhi-guard:" in line)


def test_inline_waiver_on_the_block_waives_its_plan_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = "infra/modules/app/main.tf"
    waiver = f"# nhi-guard:ignore NHI_OWN_001 {WAIVE}"
    waived_copy(tmp_path, monkeypatch, {"modules/app/main.tf": ('resource "aws_iam_role" "this"', waiver)})
    report = scan_copy()
    own = {f.resource for f in report.findings if f.rule_id == "NHI_OWN_001"}
    # module.a and module.c["x.y"] are instances of the commented block; module.b's block is another file
    assert "module.a.aws_iam_role.this" not in own and 'module.c["x.y"].aws_iam_role.this' not in own
    assert "module.b.aws_iam_role.this" in own
    origin = f"{app}:{comment_line(app)}"
    assert sorted((w.rule_id, w.resource, w.origin, w.suppressed) for w in report.waivers) == [
        ("NHI_OWN_001", "module.a.aws_iam_role.this", origin, 1),
        ("NHI_OWN_001", "module.c.aws_iam_role.this", origin, 1),
    ]
    assert report.summary.suppressed == 2
    # the same comment in a scan of the .tf module: the same rule, origin and fields
    (hcl,) = scan(["infra/modules/app"], ScanOptions(config=Config(), today=TODAY)).report.waivers
    assert (hcl.rule_id, hcl.resource, hcl.origin, hcl.suppressed) == ("NHI_OWN_001", "aws_iam_role.this", origin, 1)
    same = {w.model_dump_json(exclude={"resource"}) for w in report.waivers}
    assert same == {hcl.model_dump_json(exclude={"resource"})}
    # without --source-dir the plan has no comments: nothing is waived
    plain = scan_copy(None)
    assert not plain.waivers and "module.a.aws_iam_role.this" in {f.resource for f in plain.findings}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])  # a Windows checkout: CRLF
def test_waiver_on_module_b_block_does_not_waive_module_a(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str
) -> None:
    waiver = f"# nhi-guard:ignore NHI_OWN_001 {WAIVE}"
    waived_copy(tmp_path, monkeypatch, {"modules/worker/main.tf": ('resource "aws_iam_role" "this"', waiver)}, newline)
    report = scan_copy()
    own = {f.resource for f in report.findings if f.rule_id == "NHI_OWN_001"}
    assert "module.b.aws_iam_role.this" not in own
    assert {"module.a.aws_iam_role.this", 'module.c["x.y"].aws_iam_role.this'} <= own
    assert [(w.resource, w.suppressed) for w in report.waivers] == [("module.b.aws_iam_role.this", 1)]


def test_inline_waiver_covers_every_count_instance_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waiver = f"# nhi-guard:ignore NHI_AWS_001 {WAIVE}"
    waived_copy(tmp_path, monkeypatch, {"main.tf": ('resource "aws_iam_access_key" "ci"', waiver)})
    report = scan_copy()
    assert not [f for f in report.findings if f.rule_id == "NHI_AWS_001"]
    (w,) = report.waivers
    origin = f"infra/main.tf:{comment_line('infra/main.tf')}"
    assert (w.resource, w.origin, w.suppressed) == ("aws_iam_access_key.ci", origin, 2)


def test_expired_inline_waiver_is_one_finding_on_its_tf_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waiver = '# nhi-guard:ignore NHI_AWS_001 reason="old" owner=team-platform expires=2025-01-31'
    waived_copy(tmp_path, monkeypatch, {"main.tf": ('resource "aws_iam_access_key" "ci"', waiver)})
    report = scan_copy()
    assert len([f for f in report.findings if f.rule_id == "NHI_AWS_001"]) == 2  # it suppresses nothing
    (expired,) = [f for f in report.findings if f.rule_id == "NHI_APR_004"]  # not one per count instance
    assert (expired.file, expired.line) == ("infra/main.tf", comment_line("infra/main.tf"))
    assert not report.waivers


def test_comment_in_a_module_call_waives_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a registry module's objects point at its `module` block, which is not theirs: as in a .tf scan,
    # where a module block has no findings and its comments waive nothing
    waiver = f"# nhi-guard:ignore NHI_OWN_001 {WAIVE}"
    waived_copy(tmp_path, monkeypatch, {"main.tf": ('module "remote"', waiver)})
    report = scan_copy()
    assert "module.remote.aws_iam_user.this[0]" in {f.resource for f in report.findings if f.rule_id == "NHI_OWN_001"}
    assert not report.waivers


def test_a_block_whose_count_is_zero_in_the_code_still_locates_plan_instances(tmp_path: Path) -> None:
    # the plan was made with a variables file that turns the key on; the .tf default turns it off
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'variable "enabled" {\n  default = false\n}\n\n'
        'resource "aws_iam_access_key" "k" {\n  count = var.enabled ? 1 : 0\n  user  = "ci"\n}\n',
        encoding="utf-8",
    )
    plan = {
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_iam_access_key.k[0]", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
            "index": 0, "change": {"actions": ["create"], "before": None, "after": {"user": "ci"},
                                   "after_unknown": {"id": True, "secret": True}},
        }],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    report = scan([str(tmp_path / "plan.json")], ScanOptions(config=Config(), today=TODAY,
                                                             source_dir=str(infra))).report
    assert [(f.resource, f.file, f.line) for f in report.findings] == [
        ("aws_iam_access_key.k[0]", str(infra / "main.tf"), 7)  # its `user` line
    ]
