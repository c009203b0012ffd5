"""Real checkov with the nhi-guard pack finds exactly what the standalone scanner finds.

checkov runs once per framework over all fixtures (``terraform`` on fixtures/hcl,
``terraform_plan`` on fixtures/plan); each fixture's set of (rule, resource)
failures is then compared with ``nhi-guard scan`` of the same fixture, for every
rule the pack supports. A rule Checkov cannot run must be listed, with its
reason, in docs/checkov.md.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from checkov_env import checkov_command
from conftest import FIXTURES, ROOT, TODAY

from scanner.pipeline.engine import ScanOptions, scan
from scanner.policy.config import discover, load_config
from scanner.rules import all_rules

#: mirrors scanner.integrations.checkov.registration.NOT_IN_CHECKOV (that module imports checkov)
NOT_IN_CHECKOV = {"NHI_SEC_003", "NHI_APR_004"}
PROVIDER_RULES = {r.id for r in all_rules() if "provider" in r.modes}


def run_checkov(*args: str) -> tuple[list[dict[str, Any]], str]:
    env = dict(os.environ, NHI_GUARD_TODAY=TODAY.isoformat())
    proc = subprocess.run([*checkov_command(), "--skip-download", "--external-checks-dir", "checks", *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov did not print JSON (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return (data if isinstance(data, list) else [data]), proc.stderr


def address(check: dict[str, Any]) -> str:
    """checkov names a provider block "aws.default" / "aws.<alias>"; nhi-guard says provider.aws[.alias]."""
    name = check.get("resource_address") or check["resource"]
    if check["check_id"] in PROVIDER_RULES:
        head, _, alias = name.partition(".")
        return f"provider.{head}" + (f".{alias}" if alias and alias != "default" else "")
    return str(name)


@cache
def checkov_failures(framework: str) -> tuple[dict[str, set[tuple[str, str]]], str]:
    folder = "hcl" if framework == "terraform" else "plan"
    reports, stderr = run_checkov("-d", f"fixtures/{folder}", "--framework", framework, "-o", "json",
                                  "--check", "NHI_*")
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            case = Path(check["file_path"].lstrip("/")).parts[0]
            found[case].add((check["check_id"], address(check)))
    return found, stderr


def scanner_failures(case: Path) -> set[tuple[str, str]]:
    report = scan([str(case)], load_config(discover(case)), ScanOptions(today=TODAY))
    return {(f.rule_id, f.resource) for f in report.findings if f.rule_id not in NOT_IN_CHECKOV}


HCL_CASES = sorted(p for p in (FIXTURES / "hcl").iterdir() if p.is_dir())
PLAN_CASES = sorted((FIXTURES / "plan").glob("*.json"))


@pytest.mark.parametrize("case", HCL_CASES + PLAN_CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_checkov_finds_what_the_scanner_finds(case: Path) -> None:
    framework = "terraform" if case.is_dir() else "terraform_plan"
    found, stderr = checkov_failures(framework)
    assert "nhi-guard: internal error" not in stderr, stderr
    assert found.get(case.name, set()) == scanner_failures(case)


def test_rules_checkov_cannot_run_are_documented() -> None:
    docs = (ROOT / "docs" / "checkov.md").read_text(encoding="utf-8")
    for rule_id in NOT_IN_CHECKOV:
        assert f"`{rule_id}`" in docs, f"{rule_id} must be listed in docs/checkov.md with its reason"
    source = (ROOT / "scanner" / "integrations" / "checkov" / "registration.py").read_text(encoding="utf-8")
    for rule_id in NOT_IN_CHECKOV:
        assert f'"{rule_id}"' in source
