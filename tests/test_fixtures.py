"""One parametrised test: every annotated fixture yields exactly the findings its annotations name."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from annotations import Expectations, from_plan, from_text
from conftest import FIXTURES, TODAY

from scanner.api import ScanOptions, scan


def _cases() -> list[Path]:
    cases = sorted(p for p in (FIXTURES / "hcl").iterdir() if p.is_dir())
    cases += sorted((FIXTURES / "plan").rglob("*.json"))  # a directory case may hold a .nhi-guard.toml
    cases += sorted((FIXTURES / "markdown").glob("*.md"))
    cases += sorted((FIXTURES / "examples").glob("*.md"))
    cases += sorted(p for p in (FIXTURES / "examples").iterdir() if p.is_dir())
    return cases


def _expectations(case: Path) -> tuple[Expectations, list[str]]:
    if case.is_dir():
        expected: Expectations = {}
        missing: list[str] = []
        for tf in sorted(case.rglob("*.tf")):
            e, m = from_text(tf, module_dir=tf.parent != case)
            expected.update(e)
            missing += m
        return expected, missing
    if case.suffix == ".json":
        return from_plan(case)
    return from_text(case)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(case: Path) -> None:
    expected, unannotated = _expectations(case)
    assert not unannotated, f"blocks without an `expect:` annotation: {unannotated}"
    assert expected, "fixture has no annotations"
    cwd = os.getcwd()
    os.chdir(FIXTURES.parent)  # findings carry paths relative to the repo root
    try:
        # the nearest config above the case governs it, as in `nhi-guard scan`
        report = scan([str(case.relative_to(FIXTURES.parent))], ScanOptions(today=TODAY)).report
    finally:
        os.chdir(cwd)
    assert report.errors == [], f"unexpected load errors: {report.errors}"
    actual: dict[str, Counter[str]] = {}
    for f in report.findings:
        actual.setdefault(f.resource, Counter())[f.rule_id] += 1
    want = {addr: ids for (_file, addr), ids in expected.items() if ids}
    got = {addr: ids for addr, ids in actual.items() if ids}
    assert got == want
