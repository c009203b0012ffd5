"""New-only mode: ``--baseline old.json`` reports only findings that the baseline does not have."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scanner.integrations.cli import main
from scanner.model.report import Finding, Report, Summary
from scanner.policy.baseline import BaselineError, apply_baseline, load_baseline, parse_baseline

BAD_ROLE = """resource "aws_iam_role" "{name}" {{
  name               = "{name}"
  assume_role_policy = "{{}}"
}}
"""
GOOD_ROLE = """resource "aws_iam_role" "{name}" {{
  name               = "{name}"
  assume_role_policy = "{{}}"
  tags = {{ owner = "team-a", approved_by = "bob", requested_by = "carol", ticket = "CHG-7" }}
}}
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return proc.stdout.strip()


def two_commit_repo(root: Path) -> tuple[Path, str, str]:
    """Commit 1: an old bad role among good ones. Commit 2: moves the old role to another file
    and below other blocks, and adds one new bad role."""
    repo = root / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "infra" / "main.tf").write_text(
        GOOD_ROLE.format(name="app") + "\n" + BAD_ROLE.format(name="legacy") + "\n" + GOOD_ROLE.format(name="db"),
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "infra" / "main.tf").write_text(
        BAD_ROLE.format(name="fresh") + "\n" + GOOD_ROLE.format(name="db") + "\n" + GOOD_ROLE.format(name="app"),
        encoding="utf-8",
    )
    (repo / "infra" / "legacy.tf").write_text("# moved here\n\n\n" + BAD_ROLE.format(name="legacy"), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return repo, base, git(repo, "rev-parse", "HEAD")


def cli(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(repr(result.exception)) from result.exception
    return result


def test_only_findings_of_the_new_role_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, _ = two_commit_repo(tmp_path)
    worktree = tmp_path / "base"
    git(repo, "worktree", "add", "-q", "--detach", str(worktree), base)
    baseline = tmp_path / "base.json"
    # scanned from the worktree's root, as from the repository's: the same relative paths
    old = cli(worktree, "scan", "infra", "--format", "json", "--output", str(baseline), monkeypatch=monkeypatch)
    assert old.exit_code == 1
    old_findings = json.loads(baseline.read_text(encoding="utf-8"))["findings"]
    assert {f["resource"] for f in old_findings} == {"aws_iam_role.legacy"}

    full = json.loads(cli(repo, "scan", "infra", "--format", "json", monkeypatch=monkeypatch).stdout)
    legacy = {f["fingerprint"]: f for f in full["findings"] if f["resource"] == "aws_iam_role.legacy"}
    # the moved block has a new file and line, and the same fingerprints
    assert set(legacy) == {f["fingerprint"] for f in old_findings}
    assert {(f["file"], f["line"]) for f in legacy.values()} == {("infra/legacy.tf", 4)}
    assert {(f["file"], f["line"]) for f in old_findings} == {("infra/main.tf", 7)}

    result = cli(repo, "scan", "infra", "--format", "json", "--baseline", str(baseline), monkeypatch=monkeypatch)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {f["resource"] for f in data["findings"]} == {"aws_iam_role.fresh"}
    s = data["summary"]
    assert s["preexisting"] == len(old_findings) > 0
    assert s["total"] == len(data["findings"]) == sum(s["by_severity"].values()) == sum(s["by_category"].values())
    assert {i["resource"] for i in data["inventory"]} >= {"aws_iam_role.legacy", "aws_iam_role.fresh"}

    text = cli(repo, "scan", "infra", "--baseline", str(baseline), monkeypatch=monkeypatch).stdout
    assert f"{len(old_findings)} pre-existing hidden (baseline)" in text.splitlines()[-1]
    markdown = cli(repo, "scan", "infra", "--format", "markdown", "--baseline", str(baseline), monkeypatch=monkeypatch)
    assert f"{len(old_findings)} pre-existing finding(s) hidden (baseline)" in markdown.stdout


def test_nothing_new_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = two_commit_repo(tmp_path)
    baseline = tmp_path / "head.json"
    cli(repo, "scan", "infra", "--format", "json", "--output", str(baseline), monkeypatch=monkeypatch)
    result = cli(repo, "scan", "infra", "--baseline", str(baseline), monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("0 finding(s) (no findings)")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"not json", "is not JSON"),
        (b'{"runs": []}', "not an nhi-guard JSON report"),
        (b'{"findings": [{"rule_id": "X"}]}', "has no fingerprint"),
        (b"\xff\xfe", "is not JSON"),
    ],
)
def test_bad_baseline_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, needle: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    repo, _, _ = two_commit_repo(tmp_path)
    result = cli(repo, "scan", "infra", "--baseline", str(bad), monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"nhi-guard: error: {bad}: " in result.stderr and needle in result.stderr


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(tmp_path / "nope.json")


def _finding(fp: str, severity: str = "high", category: str = "expiry") -> Finding:
    return Finding(
        rule_id="NHI_AWS_001", category=category, severity=severity, title="t", message="m", remediation="r",
        resource="aws_iam_access_key.k", resource_type="aws_iam_access_key", file="main.tf", line=1,
        fingerprint=fp, help_uri="https://example.com",
    )  # fmt: skip


def test_apply_baseline_recounts_and_leaves_the_input_alone() -> None:
    report = Report(
        findings=[_finding("a"), _finding("b", "low", "approval"), _finding("c", "medium")],
        summary=Summary(total=3, by_severity={"critical": 0, "high": 1, "medium": 1, "low": 1}, suppressed=2),
    )
    out = apply_baseline(report, {"a", "c", "zzz"})
    assert [f.fingerprint for f in out.findings] == ["b"]
    assert out.summary.total == 1 and out.summary.preexisting == 2 and out.summary.suppressed == 2
    assert out.summary.by_severity == {"critical": 0, "high": 0, "medium": 0, "low": 1}
    assert out.summary.by_category == {"approval": 1}
    assert len(report.findings) == 3 and report.summary.preexisting == 0


def test_parse_baseline_keeps_inventory_and_skips_foreign_items() -> None:
    doc: dict[str, Any] = {
        "findings": [],
        "inventory": [
            {"resource": "aws_iam_user.u", "resource_type": "aws_iam_user", "kind": "identity", "file": "a.tf",
             "line": 1, "action": "create"},
            {"resource": "x", "kind": "robot"},
        ],
    }  # fmt: skip
    base = parse_baseline(doc)
    assert base.fingerprints == set()
    assert [i.resource for i in base.inventory] == ["aws_iam_user.u"]
