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
    cases += sorted((FIXTURES / "markdown").rglob("*.md"))  # a directory case may hold a config or a ledger
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


def _pull_request(case: Path) -> tuple[str | None, list[dict[str, object]] | None]:
    """The requester and reviews a case is scanned with: its directory's ``pull-request.toml``
    (``requester``, and ``[[reviews]]`` shaped as GitHub's reviews API returns them)."""
    from scanner.policy.config import toml_module

    tomllib = toml_module()

    sidecar = (case if case.is_dir() else case.parent) / "pull-request.toml"
    if not sidecar.is_file() or case.parent.name in ("plan", "markdown", "examples"):
        return None, None
    data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    return data.get("requester"), data.get("reviews", [])


@pytest.mark.parametrize("case", _cases(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(case: Path) -> None:
    expected, unannotated = _expectations(case)
    assert not unannotated, f"blocks without an `expect:` annotation: {unannotated}"
    assert expected, "fixture has no annotations"
    cwd = os.getcwd()
    os.chdir(FIXTURES.parent)  # findings carry paths relative to the repo root
    try:
        # the nearest config above the case governs it, as in `nhi-guard scan`
        requester, reviews = _pull_request(case)
        options = ScanOptions(today=TODAY, requester=requester, reviews=reviews)
        report = scan([str(case.relative_to(FIXTURES.parent))], options).report
    finally:
        os.chdir(cwd)
    assert report.errors == [], f"unexpected load errors: {report.errors}"
    actual: dict[str, Counter[str]] = {}
    for f in report.findings:
        actual.setdefault(f.resource, Counter())[f.rule_id] += 1
    want = {addr: ids for (_file, addr), ids in expected.items() if ids}
    got = {addr: ids for addr, ids in actual.items() if ids}
    assert got == want
