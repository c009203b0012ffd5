"""Golden snapshots: the exact output of every reporter for one scan that has a bit of everything
(findings of each severity, a waiver, an input error, text from the scanned file, a literal secret).

The snapshots are in tests/golden/<format>.golden. After an intended change of a format, rewrite
them with ``NHI_GUARD_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
A format added to the reporter registry fails here until it has a snapshot.
"""

from __future__ import annotations

import os

import pytest
from conftest import ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.model.report import Report
from scanner.policy.config import Config
from scanner.reporters import FORMATS, get_reporter

GOLDEN = ROOT / "tests" / "golden"
INPUT = GOLDEN / "input"
SECRET = "hunter2-but-longer-Zq8"


@pytest.fixture(scope="module")
def report() -> Report:
    cwd = os.getcwd()
    os.chdir(INPUT)  # report paths are relative to the working directory
    try:
        return scan([".", "broken"], ScanOptions(config=Config(), today=TODAY, provenance=True)).report
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reporter_output_is_exactly_the_snapshot(report: Report, fmt: str) -> None:
    rendered = get_reporter(fmt)(report, False)
    path = GOLDEN / f"{fmt}.golden"
    if os.environ.get("NHI_GUARD_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.is_file(), f"no snapshot for the {fmt} format: run NHI_GUARD_UPDATE_GOLDEN=1 pytest {__file__}"
    assert rendered == path.read_text(encoding="utf-8")
    assert SECRET not in rendered


def test_the_golden_scan_has_what_the_snapshots_are_meant_to_show(report: Report) -> None:
    assert {f.severity for f in report.findings} == {"critical", "high", "medium", "low"}
    assert [w.rule_id for w in report.waivers] == ["NHI_AWS_001"]
    assert [(e.file, e.line) for e in report.errors] == [("broken/main.tf", 1)]
    assert any(i.owner and "@platform-team" in i.owner for i in report.inventory)
