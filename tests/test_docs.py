"""Generated docs are up to date, and every rule documents itself fully."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from scanner.model.severity import Category, Severity
from scanner.rules import Rule, all_rules
from scanner.rules.catalogue_docs import REGENERATE, SECTIONS, generated, render_rules_md, rule_sections, stale

DOCS = ROOT / "docs"


@pytest.mark.parametrize("name", ["rules.md", "report.schema.json"])
def test_generated_docs_are_current(name: str) -> None:
    path = DOCS / name
    want = generated(DOCS)[path]
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing; run `{REGENERATE}`"
    current = path.read_text(encoding="utf-8") == want  # no multi-page diff: the fix is one command
    assert current, f"{path.relative_to(ROOT)} is out of date; run `{REGENERATE}`"


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert {p.name for p in stale(tmp_path)} == {"rules.md", "report.schema.json"}
    cmd = [sys.executable, "-m", "scanner.rules.catalogue_docs", "--docs-dir", str(tmp_path)]
    check = subprocess.run([*cmd, "--check"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert check.returncode == 1 and REGENERATE in check.stderr
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False).returncode == 0
    assert stale(tmp_path) == []
    check = subprocess.run([*cmd, "--check"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def _ids() -> list[str]:
    return [r.id for r in all_rules()]


@pytest.mark.parametrize("rule", all_rules(), ids=_ids())
def test_rule_is_fully_documented(rule: Rule) -> None:
    assert re.fullmatch(r"NHI_[A-Z0-9]+_\d{3}", rule.id)
    assert isinstance(rule.category, Category)
    assert isinstance(rule.severity, Severity)
    assert rule.title.strip() and "\n" not in rule.title
    assert rule.fix.strip() and "\n" not in rule.fix
    sections = rule_sections(rule.doc())
    missing = [s for s in SECTIONS if s not in sections]
    assert not missing, f"{rule.id}: docstring lacks sections {missing}"
    assert all(sections[s].strip() for s in SECTIONS), f"{rule.id}: empty docstring section"
    assert rule.doc().startswith("## What it does")


def test_catalogue_anchors_match_help_uri() -> None:
    md = render_rules_md()
    headings = re.findall(r"^## (\S+)$", md, re.M)
    assert headings == _ids()
    for rule in all_rules():
        anchor = rule.help_uri().rsplit("#", 1)[1]
        assert anchor == rule.id.lower()
        assert f"[{rule.id}](#{anchor})" in md  # the table links to the section
        assert rule.fix in md


def test_rule_sections_ignore_headings_in_code() -> None:
    doc = "## What it does\nx\n```md\n## Not a heading\n```\n## Example\ny"
    assert rule_sections(doc) == {"What it does": "x\n```md\n## Not a heading\n```", "Example": "y"}
