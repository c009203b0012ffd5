"""CI habits (issue 16): GitLab Code Quality and JUnit reports, several reports in one run,
--fail-on none, ruff-style --select/--ignore merged with the config, --allow-empty.

Golden files (tests/golden/ci/) hold the exact output; after an intended change, regenerate
them with ``NHI_GUARD_UPDATE_GOLDEN=1 pytest tests/test_ci_formats.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from click.testing import CliRunner, Result
from conftest import ROOT, TODAY

from scanner.api import ScanError, ScanOptions, scan
from scanner.integrations.cli import main
from scanner.model.report import Report
from scanner.reporters import FORMATS, get_reporter
from scanner.reporters.plain import inert

DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden" / "ci"
ACCESS_KEY = "fixtures/hcl/aws_access_key"
HOSTILE = "tests/data/ci_formats/hostile-plan.json"
SECRET = "hunter2-correct-horse-battery"  # the literal secret in HOSTILE's plan
GITLAB_SCHEMA = json.loads((DATA / "gitlab-codequality.schema.json").read_text(encoding="utf-8"))
JUNIT_XSD = xmlschema.XMLSchema(str(DATA / "junit.xsd"))


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    for name in ("NO_COLOR", "FORCE_COLOR", "NHI_GUARD_DEBUG", "NHI_GUARD_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}") from result.exception
    return result


def report_of(*paths: str) -> Report:
    return scan(list(paths), ScanOptions(today=TODAY)).report


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NHI_GUARD_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; see this module's docstring"


CASES = {"access-key": (ACCESS_KEY,), "hostile": (HOSTILE,), "errors": (ACCESS_KEY, "no/such/dir")}


# --------------------------------------------------------------------------- GitLab Code Quality


@pytest.mark.parametrize("case", CASES)
def test_gitlab_golden_and_valid(case: str) -> None:
    text = get_reporter("gitlab")(report_of(*CASES[case]), False)
    golden(f"{case}.gitlab.json", text)
    issues = json.loads(text)
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)


def test_gitlab_fields_for_one_finding() -> None:
    issues = json.loads(get_reporter("gitlab")(report_of(ACCESS_KEY), False))
    key = next(i for i in issues if i["check_name"] == "NHI_AWS_001")
    finding = next(f for f in report_of(ACCESS_KEY).findings if f.rule_id == "NHI_AWS_001")
    assert key == {
        "type": "issue",
        "check_name": "NHI_AWS_001",
        "description": "NHI_AWS_001: aws_iam_access_key.ci creates a long-lived AWS access key that never expires. "
        "Fix: Replace the access key with a role assumed via OIDC (GitHub Actions, EKS IRSA) or IAM Roles Anywhere.",
        "categories": ["Security"],
        "severity": "major",
        "fingerprint": finding.fingerprint,
        "location": {"path": f"{ACCESS_KEY}/main.tf", "lines": {"begin": 17}},
    }
    assert sorted({i["severity"] for i in issues}) == ["info", "major", "minor"]  # low, high, medium


def test_gitlab_fingerprints_stay_unique_when_findings_share_one() -> None:
    report = report_of(ACCESS_KEY)
    twin = report.findings[0].model_copy()
    report.findings.append(twin)
    issues = json.loads(get_reporter("gitlab")(report, False))
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints) == len(report.findings)
    assert fingerprints[0] == report.findings[0].fingerprint  # the first keeps the finding's own


# --------------------------------------------------------------------------- JUnit


@pytest.mark.parametrize("case", CASES)
def test_junit_golden_and_valid(case: str) -> None:
    text = get_reporter("junit")(report_of(*CASES[case]), False)
    golden(f"{case}.junit.xml", text)
    JUNIT_XSD.validate(text)


def junit(report: Report) -> ET.Element:
    text = get_reporter("junit")(report, False)
    JUNIT_XSD.validate(text)
    return ET.fromstring(text)


def counts(element: ET.Element) -> tuple[str | None, ...]:
    return tuple(element.get(k) for k in ("tests", "failures", "errors"))


def test_junit_test_cases_per_rule_and_resource() -> None:
    root = junit(report_of(ACCESS_KEY, "no/such/dir"))
    assert counts(root) == ("8", "5", "1")
    suites = {s.get("name"): s for s in root}
    assert list(suites) == [f"{ACCESS_KEY}/main.tf", "no/such/dir"]
    assert counts(suites[f"{ACCESS_KEY}/main.tf"]) == ("7", "5", "0")
    cases = [(c.get("classname"), c.get("name"), [e.tag for e in c]) for c in suites[f"{ACCESS_KEY}/main.tf"]]
    assert cases == [
        ("NHI_AWS_001", "aws_iam_access_key.ci", ["failure"]),
        ("NHI_APR_001", "aws_iam_user.orphan", ["failure"]),
        ("NHI_OWN_001", "aws_iam_user.orphan", ["failure"]),
        ("NHI_APR_002", "aws_iam_user.orphan", ["failure"]),
        ("NHI_AWS_001", "aws_iam_access_key.orphan", ["failure"]),
        ("nhi-guard", "aws_iam_user.ci", []),
        ("nhi-guard", "aws_iam_access_key.external", []),
    ]
    failure = suites[f"{ACCESS_KEY}/main.tf"][0][0]
    assert (failure.get("type"), failure.get("message")) == ("high", "NHI_AWS_001 Static AWS access key never expires")
    (error_case,) = suites["no/such/dir"]
    assert error_case[0].tag == "error" and error_case[0].get("message") == "no such file or directory"


def test_junit_clean_scan_has_one_passing_case() -> None:
    root = junit(Report())
    assert counts(root) == ("1", "0", "0")
    assert [c.get("name") for c in root.iter("testcase")] == ["no non-human identity findings"]


def test_junit_groups_findings_of_one_rule_on_one_resource() -> None:
    report = report_of(ACCESS_KEY)
    first = report.findings[0]
    report.findings.insert(1, first.model_copy(update={"message": "second violation", "line": 99}))
    case = junit(report)[0][0]
    assert (case[0].text or "").splitlines() == [
        f"{first.file}:{first.line}: {first.message}",
        f"fix: {first.remediation}",
        f"{first.file}:99: second violation",
        f"fix: {first.remediation}",
        f"docs: {first.help_uri}",
    ]


# --------------------------------------------------------------------------- text from scanned code


def test_inert_defangs_links_mentions_and_controls() -> None:
    assert inert('k["https://evil.example/a"] @alice www.evil.example \x1b[2J') == (
        'k["https[:]//evil.example/a"] [@]alice www[.]evil.example \\x1b[2J'
    )
    assert inert("aws_iam_user.ci has no `approved_by`; set it in tags") == (
        "aws_iam_user.ci has no `approved_by`; set it in tags"
    )


@pytest.mark.parametrize("fmt", ["gitlab", "junit"])
def test_no_secret_link_mention_or_control_from_scanned_code(fmt: str) -> None:
    text = get_reporter(fmt)(report_of(HOSTILE), False)
    assert SECRET not in text
    assert "https://evil" not in text and "@alice" not in text and "www.evil" not in text
    assert "\x1b" not in text
    if fmt == "junit":
        assert "</failure><x>" not in text and "&lt;/failure&gt;&lt;x&gt;&amp;" in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


# --------------------------------------------------------------------------- several reports, --fail-on none


def test_format_choices_come_from_the_registry() -> None:
    result = cli("scan", "--help")
    for fmt in FORMATS:
        assert fmt in result.output
    assert {"gitlab", "junit"} <= set(FORMATS)


def test_several_reports_in_one_run(tmp_path: Path) -> None:
    sarif, gitlab, junit = tmp_path / "nhi.sarif", tmp_path / "gl-code-quality-report.json", tmp_path / "nhi.xml"
    result = cli("scan", ACCESS_KEY, "-o", f"sarif={sarif}", "-o", f"gitlab={gitlab}", "--output", f"junit={junit}")
    assert result.exit_code == 1
    assert result.stdout == cli("scan", ACCESS_KEY).stdout  # --format text still goes to stdout
    for fmt, path in (("sarif", sarif), ("gitlab", gitlab), ("junit", junit)):
        assert path.read_text(encoding="utf-8") == cli("scan", ACCESS_KEY, "--format", fmt).stdout
    assert [line.split(":")[1].strip() for line in result.stderr.splitlines()] == [
        f"wrote sarif report to {sarif}", f"wrote gitlab report to {gitlab}", f"wrote junit report to {junit}"
    ]  # fmt: skip


def test_plain_output_and_named_outputs_together(tmp_path: Path) -> None:
    plain, sarif = tmp_path / "report.json", tmp_path / "r.sarif"
    result = cli("scan", ACCESS_KEY, "--format", "json", "-o", str(plain), "-o", f"sarif={sarif}")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(plain.read_text(encoding="utf-8"))["summary"]["total"] == 5
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-o", "sarf=x.sarif"], "'sarf' is not a format"),
        (["-o", "sarif="], "-o sarif=: no file name after '='"),  # it said "'sarif' is not a format"
        (["-o", "a.json", "-o", "b.json"], "give one FILE for the --format report"),
        # these wrote only the last report, and a file named "=x", without a word
        (["--format", "text", "--format", "sarif"], "given 2 times (text, sarif); one report goes to stdout"),
        (["-o", "=x"], "-o =x: no format before '='"),
    ],
)
def test_output_usage_errors(args: list[str], needle: str) -> None:
    result = cli("scan", ACCESS_KEY, *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_output_file_named_like_a_format_with_dot_slash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text((ROOT / ACCESS_KEY / "main.tf").read_text(), encoding="utf-8")
    assert cli("scan", "infra", "-o", "./odd=name.txt").exit_code == 1
    assert "finding(s)" in (tmp_path / "odd=name.txt").read_text(encoding="utf-8")


def test_fail_on_none_reports_and_never_fails() -> None:
    result = cli("scan", ACCESS_KEY, "--fail-on", "none")
    assert result.exit_code == 0 and "NHI_AWS_001" in result.stdout
    assert cli("scan", ACCESS_KEY, "no/such/dir", "--fail-on", "none").exit_code == 2  # input errors still do


# --------------------------------------------------------------------------- --select / --ignore


def rule_ids(*args: str) -> list[str]:
    result = cli("scan", ACCESS_KEY, "--format", "json", *args)
    return sorted({f["rule_id"] for f in json.loads(result.stdout)["findings"]})


def test_select_and_ignore() -> None:
    assert rule_ids() == ["NHI_APR_001", "NHI_APR_002", "NHI_AWS_001", "NHI_OWN_001"]
    assert rule_ids("--select", "NHI_AWS") == ["NHI_AWS_001"]
    assert rule_ids("--select", "NHI_AWS,NHI_OWN_001") == ["NHI_AWS_001", "NHI_OWN_001"]
    assert rule_ids("--select", "nhi_aws", "--select", "NHI_OWN_001") == ["NHI_AWS_001", "NHI_OWN_001"]
    assert rule_ids("--ignore", "NHI_APR") == ["NHI_AWS_001", "NHI_OWN_001"]
    assert rule_ids("--select", "NHI_APR,NHI_AWS", "--ignore", "NHI_APR_002") == ["NHI_APR_001", "NHI_AWS_001"]
    # the more specific selector wins, ignore wins a tie (ruff)
    assert rule_ids("--ignore", "NHI_APR", "--select", "NHI_APR_001") == ["NHI_APR_001"]
    assert rule_ids("--select", "NHI_AWS_001", "--ignore", "NHI_AWS_001") == []


def test_unknown_selector_is_a_usage_error() -> None:
    result = cli("scan", ACCESS_KEY, "--select", "NHI_AWZ")
    assert result.exit_code == 2
    assert "select/ignore: NHI_AWZ matches no rule" in result.stderr
    with pytest.raises(ScanError, match="NHI_NOPE_1 matches no rule"):
        scan([ACCESS_KEY], ScanOptions(ignore=["NHI_NOPE_1"]))


def test_selection_merges_with_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text((ROOT / ACCESS_KEY / "main.tf").read_text(), encoding="utf-8")
    (tmp_path / ".nhi-guard.toml").write_text('select = ["NHI_APR", "NHI_AWS"]\ndisable = ["NHI_APR_002"]\n', "utf-8")
    monkeypatch.chdir(tmp_path)

    def ids(**kw: Any) -> list[str]:
        return sorted({f.rule_id for f in scan(["."], ScanOptions(today=TODAY, **kw)).report.findings})

    assert ids() == ["NHI_APR_001", "NHI_AWS_001"]  # the config's select and disable
    assert ids(select=["NHI_OWN"]) == ["NHI_OWN_001"]  # --select replaces the config's select
    assert ids(ignore=["NHI_AWS"]) == ["NHI_APR_001"]  # --ignore adds to its disable
    assert ids(select=["NHI_APR_002"]) == []  # the config's disable still holds
    assert ids(select=["NHI_APR_002", "NHI_OWN"], ignore=[]) == ["NHI_OWN_001"]


@pytest.mark.parametrize("line", ['select = ["NHI_AWZ"]', 'disable = ["NHI_APR_002", "nhi_nope"]'])
def test_a_config_selector_that_matches_no_rule_is_an_error(tmp_path: Path, line: str) -> None:
    # a typo in the config's select once ran no rule at all: 0 findings, exit 0, on any input
    (tmp_path / "main.tf").write_text((ROOT / ACCESS_KEY / "main.tf").read_text(), encoding="utf-8")
    (tmp_path / ".nhi-guard.toml").write_text(line + "\n", encoding="utf-8")
    result = cli("scan", str(tmp_path))
    key, selector = ("select", "NHI_AWZ") if line.startswith("select") else ("disable", "NHI_NOPE")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"nhi-guard: error: {tmp_path / '.nhi-guard.toml'}: key '{key}': {selector} matches no rule; run "
        "`nhi-guard rules` for the IDs (a prefix such as NHI_AWS selects a family)\n"
    )


@pytest.mark.parametrize("key", ["select", "disable"])
def test_an_empty_config_selector_is_an_error(tmp_path: Path, key: str) -> None:
    # "" is a prefix of every rule: `select = [""]` looked like a selection and selected everything
    (tmp_path / "main.tf").write_text((ROOT / ACCESS_KEY / "main.tf").read_text(), encoding="utf-8")
    (tmp_path / ".nhi-guard.toml").write_text(f'{key} = ["NHI_AWS", " "]\n', encoding="utf-8")
    result = cli("scan", str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"nhi-guard: error: {tmp_path / '.nhi-guard.toml'}: key '{key}': Value error, an empty selector would "
        "match every rule; remove it\n"
    )


def test_ignored_waiver_rule_reports_no_bad_waiver() -> None:
    base = scan(["tests/data/waivers/inline_expired"], ScanOptions(today=TODAY)).report.findings
    assert "NHI_APR_004" in {f.rule_id for f in base}
    ignored = scan(["tests/data/waivers/inline_expired"], ScanOptions(today=TODAY, ignore=["NHI_APR_004"]))
    assert "NHI_APR_004" not in {f.rule_id for f in ignored.report.findings}


# --------------------------------------------------------------------------- --allow-empty


def test_allow_empty(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("no terraform here\n", encoding="utf-8")
    result = cli("scan", str(tmp_path), "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"][0]["message"] == "directory holds no .tf or .tf.json files"
    allowed = cli("scan", str(tmp_path), str(tmp_path / "docs"), "--format", "json", "--allow-empty")
    assert allowed.exit_code == 0
    data = json.loads(allowed.stdout)
    assert data["errors"] == [] and data["findings"] == [] and data["summary"]["files_scanned"] == 0
    # a missing path is still an error
    assert cli("scan", str(tmp_path / "nope"), "--allow-empty").exit_code == 2


def test_module_dirs_scans_each_file_with_its_module(tmp_path: Path) -> None:
    (tmp_path / "users.tf").write_text('resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n', encoding="utf-8")
    key = 'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'
    (tmp_path / "keys.tf").write_text(key, encoding="utf-8")
    alone = json.loads(cli("scan", str(tmp_path / "keys.tf"), "--format", "json").stdout)
    module = json.loads(cli("scan", "--module-dirs", str(tmp_path / "keys.tf"), "--format", "json").stdout)
    assert alone["summary"]["files_scanned"] == 1 and module["summary"]["files_scanned"] == 2
    assert {f["resource"] for f in module["findings"]} == {"aws_iam_user.ci", "aws_iam_access_key.ci"}


def test_module_dirs_leaves_out_the_modules_in_subdirectories(tmp_path: Path) -> None:
    # a change to the root module's file once scanned the whole tree: pre-commit failed on the
    # findings of every other module of the repository
    (tmp_path / "main.tf").write_text('locals {\n  region = "eu-west-1"\n}\n', encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    key = 'resource "aws_iam_access_key" "old" {\n  user = "ci"\n}\n'
    (tmp_path / "legacy" / "main.tf").write_text(key, encoding="utf-8")
    root = cli("scan", "--module-dirs", str(tmp_path / "main.tf"), "--format", "json")
    assert root.exit_code == 0
    assert (json.loads(root.stdout)["summary"]["files_scanned"], json.loads(root.stdout)["findings"]) == (1, [])
    both = cli("scan", "--module-dirs", str(tmp_path / "main.tf"), str(tmp_path / "legacy" / "main.tf"))
    assert both.exit_code == 1 and "NHI_AWS_001" in both.stdout
    assert cli("scan", str(tmp_path)).exit_code == 1  # a directory without --module-dirs is still the tree



@pytest.mark.parametrize(
    ("line", "hint"),
    [('NHI_AWS_9999 = "critical"', ""), ('nhi_aws_001 = "critical"', " (rule IDs are upper case: NHI_AWS_001)")],
)
def test_a_config_severity_for_no_rule_is_an_error(tmp_path: Path, line: str, hint: str) -> None:
    # once ignored without a word: the finding kept its severity, below the fail_on it was raised for
    (tmp_path / "main.tf").write_text((ROOT / ACCESS_KEY / "main.tf").read_text(), encoding="utf-8")
    (tmp_path / ".nhi-guard.toml").write_text("[severity]\n" + line + "\n", encoding="utf-8")
    result = cli("scan", str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"nhi-guard: error: {tmp_path / '.nhi-guard.toml'}: key 'severity': {line.split()[0]} is not a rule ID{hint}; "
        "run `nhi-guard rules` for the IDs\n"
    )
