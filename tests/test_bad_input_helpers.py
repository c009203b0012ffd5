"""Shared by the bad-input tests: scan a bad input next to a good one through the real CLI.

Every bad input must give (issue 7): one error entry naming the file (and line where known);
the rest of the input still scanned; exit code 2 with the report still written; no traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT

from scanner.integrations.cli import main

#: scanned next to every bad input: its finding proves the rest of the scan went on
GOOD = "fixtures/hcl/aws_access_key"
GOOD_FINDING = ("aws_iam_access_key.ci", "NHI_AWS_001")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("NO_COLOR", "FORCE_COLOR", "NHI_GUARD_DEBUG"):
        monkeypatch.delenv(name, raising=False)


class Scan:
    def __init__(self, code: int, report: dict[str, Any], stderr: str) -> None:
        self.code = code
        self.report = report
        self.stderr = stderr

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.report["errors"])

    def findings(self) -> set[tuple[str, str]]:
        return {(f["resource"], f["rule_id"]) for f in self.report["findings"]}

    def findings_at(self) -> set[tuple[str, str, int]]:
        return {(f["resource"], f["rule_id"], f["line"]) for f in self.report["findings"]}


def scan(
    tmp_path: Path, *paths: str, good: bool = True, args: tuple[str, ...] = (), stdin: bytes | None = None
) -> Scan:
    """``nhi-guard scan PATHS [GOOD] --format json --output FILE`` in-process; the report file is read back."""
    out = tmp_path / "nhi-guard-report.json"
    if out.exists():
        out.unlink()
    argv = ["scan", *paths, *([GOOD] if good else []), "--format", "json", "--output", str(out), *args]
    result = CliRunner().invoke(main, argv, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    assert out.is_file(), f"no report written (exit {result.exit_code}): {result.stderr}"
    return Scan(result.exit_code, json.loads(out.read_text(encoding="utf-8")), result.stderr)


def assert_bad(s: Scan, *expected: dict[str, Any]) -> None:
    """Exit 2, the report written and marked incomplete, exactly these errors, the good input scanned."""
    assert s.code == 2, s.report
    assert s.report["summary"]["incomplete"] is True
    assert s.errors == list(expected)
    assert GOOD_FINDING in s.findings()


def assert_clean(s: Scan) -> None:
    """No error at all: the input is fine (exit follows the findings)."""
    assert s.errors == []
    assert s.report["summary"]["incomplete"] is False
    assert s.code in (0, 1)
