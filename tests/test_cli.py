"""The command line: inputs, formats, exit codes, config errors, waivers, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT

from scanner import __version__
from scanner.integrations.cli import main
from scanner.rules import all_rules

DATA = "tests/data"
ACCESS_KEY = "fixtures/hcl/aws_access_key"
FAIL_ON = f"{DATA}/fail_on"  # only medium and low findings
CLEAN_ENV = {"NO_COLOR": None, "FORCE_COLOR": None, "NHI_GUARD_DEBUG": None}


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)


def cli(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    return result


def scan_json(*args: str, input: str | None = None) -> tuple[int, dict[str, Any]]:
    result = cli("scan", *args, "--format", "json", input=input)
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data


def rule_ids(data: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in data["findings"]:
        out.setdefault(f["resource"], []).append(f["rule_id"])
    return {k: sorted(v) for k, v in out.items()}


# --------------------------------------------------------------------------- inputs


def test_scan_directory_text() -> None:
    result = cli("scan", ACCESS_KEY)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{ACCESS_KEY}/main.tf\n")
    assert "NHI_AWS_001" in result.stdout
    assert "5 resource(s) from 1 file(s)" in result.stdout.splitlines()[-1]
    assert result.stderr == ""


def test_scan_single_file() -> None:
    code, data = scan_json(f"{ACCESS_KEY}/main.tf")
    assert code == 1
    assert {f["file"] for f in data["findings"]} == {f"{ACCESS_KEY}/main.tf"}
    assert rule_ids(data)["aws_iam_access_key.ci"] == ["NHI_AWS_001"]


def test_scan_markdown_answer() -> None:
    code, data = scan_json(f"{DATA}/chat/answer.md")
    assert code == 1
    assert rule_ids(data)["aws_iam_access_key.deployer"] == ["NHI_AWS_001"]
    key = next(f for f in data["findings"] if f["resource"] == "aws_iam_access_key.deployer")
    assert (key["file"], key["line"]) == (f"{DATA}/chat/answer.md", 9)  # the Markdown file's own line


def test_scan_stdin() -> None:
    text = (ROOT / ACCESS_KEY / "main.tf").read_text(encoding="utf-8")
    code, data = scan_json("-", input=text)
    assert code == 1
    assert {f["file"] for f in data["findings"]} == {"<stdin>"}
    assert rule_ids(data)["aws_iam_access_key.orphan"] == ["NHI_AWS_001"]


def test_scan_stdin_invalid_utf8_is_an_input_error() -> None:
    text = (ROOT / f"{FAIL_ON}/main.tf").read_bytes() + b"\n# caf\xe9\n"
    result = cli("scan", "-", "--format", "json", input=text)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["errors"][0]["file"] == "<stdin>" and "UTF-8" in data["errors"][0]["message"]
    assert data["summary"]["incomplete"] is True
    assert data["findings"]  # the rest was scanned


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_formats(fmt: str) -> None:
    result = cli("scan", ACCESS_KEY, "--format", fmt)
    assert result.exit_code == 1
    out = result.stdout
    if fmt == "json":
        assert len(json.loads(out)["findings"]) >= 1
    elif fmt == "sarif":
        doc = json.loads(out)
        assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
    elif fmt == "markdown":
        assert out.startswith("## nhi-guard\n") and "| Resource | Kind |" in out
    else:
        assert "finding(s)" in out.splitlines()[-1]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_output_file(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    result = cli("scan", ACCESS_KEY, "--format", fmt, "--output", str(target), env={"FORCE_COLOR": "1"})
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"nhi-guard: wrote {fmt} report to {target}: ") and "finding(s)" in line
    written = target.read_text(encoding="utf-8")
    assert "\033[" not in written  # never colour in a file
    assert written == cli("scan", ACCESS_KEY, "--format", fmt).stdout


def test_output_file_unwritable(tmp_path: Path) -> None:
    result = cli("scan", ACCESS_KEY, "--output", str(tmp_path / "missing-dir" / "r.json"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_colour_follows_no_color_and_force_color() -> None:
    assert "\033[" not in cli("scan", ACCESS_KEY).stdout  # not a terminal
    assert "\033[1;31m" in cli("scan", ACCESS_KEY, env={"FORCE_COLOR": "1"}).stdout
    assert "\033[" not in cli("scan", ACCESS_KEY, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\033[" not in cli("scan", ACCESS_KEY, "--format", "json", env={"FORCE_COLOR": "1"}).stdout


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(("fail_on", "code"), [("low", 1), ("medium", 1), ("high", 0), ("critical", 0)])
def test_fail_on_thresholds(fail_on: str, code: int) -> None:
    assert cli("scan", FAIL_ON, "--fail-on", fail_on).exit_code == code


def test_fail_on_high_with_high_finding() -> None:
    assert cli("scan", ACCESS_KEY, "--fail-on", "high").exit_code == 1


def test_clean_scan_exits_zero() -> None:
    result = cli("scan", f"{DATA}/waivers/inline_valid")
    assert result.exit_code == 0
    assert "0 finding(s)" in result.stdout


def test_nonexistent_path_is_an_error_but_rest_is_scanned() -> None:
    code, data = scan_json(ACCESS_KEY, "no/such/dir")
    assert code == 2
    assert {"file": "no/such/dir", "line": None, "message": "no such file or directory"} in data["errors"]
    assert rule_ids(data)["aws_iam_access_key.ci"] == ["NHI_AWS_001"]
    # an input error wins over --fail-on
    assert cli("scan", ACCESS_KEY, "no/such/dir", "--fail-on", "critical").exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["scan"],
        ["scan", ACCESS_KEY, "--format", "xml"],
        ["scan", ACCESS_KEY, "--fail-on", "severe"],
        ["scan", ACCESS_KEY, "--no-such-option"],
        ["frobnicate"],
        ["rules", "--format", "yaml"],
        ["explain"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


def test_version() -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"nhi-guard, version {__version__}"


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("unknown_key", ["unknown key 'max_credentail_days'", "allowed keys"]),
        ("bad_value", ["key 'max_credential_days'", "integer"]),
        ("bad_regex", ["key 'ticket_pattern'", "regular expression"]),
        ("invalid", ["invalid TOML"]),
    ],
)
def test_bad_config(name: str, needles: list[str]) -> None:
    path = f"{DATA}/config/{name}.toml"
    result = cli("scan", FAIL_ON, "--config", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"nhi-guard: error: {path}: ")
    for needle in needles:
        assert needle in result.stderr


def test_missing_config_file() -> None:
    result = cli("scan", FAIL_ON, "--config", f"{DATA}/config/nope.toml")
    assert result.exit_code == 2
    assert "config file not found" in result.stderr


def test_binary_config_file(tmp_path: Path) -> None:
    bad = tmp_path / ".nhi-guard.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    result = cli("scan", FAIL_ON, "--config", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr


def test_config_discovered_upward_from_scanned_path() -> None:
    # tests/data/discovery/.nhi-guard.toml disables NHI_AWS_001 and fails only on high
    for target in (f"{DATA}/discovery/nested/deeper", f"{DATA}/discovery/nested/deeper/main.tf"):
        result = cli("scan", target, "--format", "json")
        assert result.exit_code == 0, result.output
        ids = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
        assert "NHI_AWS_001" not in ids and "NHI_OWN_001" in ids
    # an explicit --config replaces discovery
    result = cli("scan", f"{DATA}/discovery/nested/deeper", "--config", f"{DATA}/config/empty.toml")
    assert result.exit_code == 1 and "NHI_AWS_001" in result.stdout


def test_config_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nhi-guard]\nfail_on = "critical"\n', encoding="utf-8")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text((ROOT / FAIL_ON / "main.tf").read_text(), encoding="utf-8")
    assert cli("scan", str(tmp_path / "infra")).exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.nhi-guard]\nfail_on = "urgent"\n', encoding="utf-8")
    result = cli("scan", str(tmp_path / "infra"))
    assert result.exit_code == 2 and "pyproject.toml: key 'fail_on'" in result.stderr


def test_config_fail_on_none_reports_and_never_fails(tmp_path: Path) -> None:
    (tmp_path / ".nhi-guard.toml").write_text('fail_on = "none"\n', encoding="utf-8")
    (tmp_path / "main.tf").write_text((ROOT / FAIL_ON / "main.tf").read_text(), encoding="utf-8")
    result = cli("scan", str(tmp_path), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["findings"]
    assert cli("scan", str(tmp_path), "--fail-on", "low").exit_code == 1  # the flag still overrides it
    (tmp_path / "broken.tf").write_text("resource {", encoding="utf-8")
    assert cli("scan", str(tmp_path)).exit_code == 2  # an incomplete scan is still one


# --------------------------------------------------------------------------- waivers


def test_inline_waiver_suppresses_and_is_listed() -> None:
    code, data = scan_json(f"{DATA}/waivers/inline_valid")
    assert code == 0
    assert data["findings"] == []
    assert data["waivers"] == [
        {
            "rule_id": "NHI_AWS_001",
            "resource": "aws_iam_access_key.ci",
            "reason": "vendor needs a key until OIDC lands",
            "owner": "team-platform",
            "expires": "2099-01-01",
            "origin": f"{DATA}/waivers/inline_valid/main.tf:7",
            "suppressed": 1,
        }
    ]
    assert data["summary"]["suppressed"] == 1


@pytest.mark.parametrize(
    ("case", "problem"), [("inline_expired", "expired on 2020-01-01"), ("inline_incomplete", "no owner")]
)
def test_bad_inline_waiver_suppresses_nothing(case: str, problem: str) -> None:
    code, data = scan_json(f"{DATA}/waivers/{case}")
    assert code == 1
    assert data["waivers"] == []
    assert rule_ids(data) == {"aws_iam_access_key.ci": ["NHI_APR_004", "NHI_AWS_001"]}
    bad = next(f for f in data["findings"] if f["rule_id"] == "NHI_APR_004")
    assert problem in bad["message"]
    assert (bad["file"], bad["line"]) == (f"{DATA}/waivers/{case}/main.tf", 7)


def test_config_waiver_with_glob() -> None:
    code, data = scan_json(f"{DATA}/waivers/config_glob")
    assert code == 0
    assert data["findings"] == []
    (waiver,) = data["waivers"]
    assert waiver["resource"] == "aws_iam_access_key.*"
    assert waiver["suppressed"] == 2
    assert waiver["origin"] == f"{DATA}/waivers/config_glob/.nhi-guard.toml:1"


def test_inline_waiver_applies_only_to_its_own_file() -> None:
    # Both directories define aws_iam_access_key.ci; only the waived one is suppressed.
    code, data = scan_json(f"{DATA}/waivers/inline_valid", "fixtures/hcl/aws_access_key")
    assert code == 1
    assert [w["suppressed"] for w in data["waivers"]] == [1]
    assert any(f["rule_id"] == "NHI_AWS_001" and f["resource"] == "aws_iam_access_key.ci"
               and f["file"] == "fixtures/hcl/aws_access_key/main.tf" for f in data["findings"])


def test_config_waiver_matches_instance_addresses_with_brackets(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_access_key" "k" {\n  count = 2\n  user = "u"\n}\n')
    plan = {"format_version": "1.2", "terraform_version": "1.9.5", "planned_values": {}, "resource_changes": [
        {"address": f"aws_iam_access_key.k[{i}]", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "index": i, "change": {"actions": ["create"], "before": None, "after": {"user": "u", "status": "Active"},
                                "after_unknown": {}, "after_sensitive": {}}} for i in (0, 1)]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / ".nhi-guard.toml").write_text(
        '[[waivers]]\nrule = "NHI_AWS_001"\nresource = "aws_iam_access_key.k[0]"\nreason = "r"\n'
        'owner = "o"\nexpires = 2099-01-01\n')
    code, data = scan_json(str(tmp_path / "plan.json"))
    assert code == 1
    assert [f["resource"] for f in data["findings"]] == ["aws_iam_access_key.k[1]"]
    assert data["waivers"][0]["suppressed"] == 1


# --------------------------------------------------------------------------- rules / explain


def test_rules_table_lists_every_rule() -> None:
    result = cli("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "CATEGORY", "SEVERITY", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == [r.id for r in all_rules()]


def test_rules_json_lists_every_rule() -> None:
    result = cli("rules", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["id"] for r in data] == [r.id for r in all_rules()]
    assert all(set(r) >= {"id", "category", "severity", "title", "remediation", "help_uri"} for r in data)


@pytest.mark.parametrize("rule_id", ["NHI_AWS_001", "nhi_aws_001", " Nhi_Aws_001 "])
def test_explain(rule_id: str) -> None:
    result = cli("explain", rule_id)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("NHI_AWS_001: Static AWS access key never expires\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "Fix: ", "Docs: "):
        assert section in out


def test_explain_unknown_rule() -> None:
    result = cli("explain", "NOPE")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown rule 'NOPE'" in result.stderr


# --------------------------------------------------------------------------- no tracebacks


def test_internal_error_in_scan_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr("scanner.api.scan", boom)
    result = cli("scan", ACCESS_KEY)
    assert result.exit_code == 2
    assert "internal error: RuntimeError" in result.stderr and "--debug" in result.stderr
    debug = CliRunner().invoke(main, ["scan", ACCESS_KEY, "--debug"])
    assert isinstance(debug.exception, SystemExit) and debug.exit_code == 2
    assert debug.stderr.startswith("nhi-guard: debug: internal error in `scan`:\nTraceback (most recent call last):")
    assert "RuntimeError: kaput" in debug.stderr
    assert debug.stderr.endswith("nhi-guard: internal error: RuntimeError; rerun with --debug for details\n")


def test_internal_error_in_reporter_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(report: object, color: bool = False) -> str:
        raise KeyError("x")

    monkeypatch.setattr("scanner.reporters.get_chunked_reporter", lambda name: boom)
    result = cli("scan", ACCESS_KEY)
    assert result.exit_code == 2
    assert result.stderr.startswith("nhi-guard: internal error: KeyError")


@pytest.mark.parametrize("args", [["rules"], ["explain", "NHI_AWS_001"]])
def test_broken_catalogue_is_one_line(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    def broken() -> None:
        raise ValueError("duplicate rule id NHI_AWS_001")

    monkeypatch.setattr("scanner.rules.all_rules", broken)
    result = cli(*args)
    assert result.exit_code == 2
    assert "cannot load the rule catalogue: duplicate rule id NHI_AWS_001" in result.stderr


def _python_m(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    return proc


def test_subprocess_exit_codes_and_no_traceback() -> None:
    proc = _python_m("scan", ACCESS_KEY, "no/such/dir", "--format", "sarif")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert doc["runs"][0]["results"]

    assert _python_m("scan", FAIL_ON).returncode == 1
    assert _python_m("scan", FAIL_ON, "--fail-on", "high").returncode == 0
    text = (ROOT / FAIL_ON / "main.tf").read_text(encoding="utf-8")
    assert _python_m("scan", "-", "--fail-on", "medium", stdin=text).returncode == 1

    proc = _python_m("scan", FAIL_ON, "--config", f"{DATA}/config/unknown_key.toml")
    assert proc.returncode == 2 and "unknown key 'max_credentail_days'" in proc.stderr

    proc = _python_m("explain", "NOPE")
    assert proc.returncode == 2 and proc.stderr.startswith("nhi-guard: error: unknown rule")

    proc = _python_m("scan")
    assert proc.returncode == 2 and "Usage:" in proc.stderr

    proc = _python_m("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_report_file_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.json"
    out.write_text("previous report\n", encoding="utf-8")

    def half(report: object, color: bool = False) -> Iterator[str]:
        yield '{"findings": ['
        raise KeyError("x")

    monkeypatch.setattr("scanner.reporters.get_chunked_reporter", lambda name: half)
    result = cli("scan", ACCESS_KEY, "--format", "json", "--output", str(out))
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_report_file_has_the_usual_permissions(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    old = os.umask(0o022)
    try:
        result = cli("scan", ACCESS_KEY, "--format", "json", "--output", str(out))
    finally:
        os.umask(old)
    assert result.exit_code == 1
    assert json.loads(out.read_text(encoding="utf-8"))["findings"]
    if os.name == "posix":
        assert out.stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(os.name != "posix", reason="symbolic links, FIFOs and modes")
def test_report_file_is_written_through_links_and_pipes_and_keeps_its_mode(tmp_path: Path) -> None:
    import threading

    real = tmp_path / "real.json"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert cli("scan", ACCESS_KEY, "--format", "json", "--output", str(link)).exit_code == 1
    assert link.is_symlink() and json.loads(real.read_text(encoding="utf-8"))["findings"]
    assert real.stat().st_mode & 0o777 == 0o600

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    assert cli("scan", ACCESS_KEY, "--format", "json", "--output", str(fifo)).exit_code == 1
    reader.join(10)
    assert json.loads(received[0])["findings"]
    assert fifo.is_fifo()
