"""Real checkov with the nhi-guard pack finds exactly what ``nhi-guard scan`` finds.

checkov runs once per framework over the whole fixture tree (``terraform`` on fixtures/hcl,
``terraform_plan`` on fixtures/plan), and ``nhi-guard scan`` runs once over the same tree, as a
user would run each. Both discover the per-directory configs (waivers, ``disable``, severity
overrides, ``ticket_pattern``...) of the fixtures. Each fixture's set of (rule, resource,
severity) failures must be the same, for every rule the pack supports. A rule Checkov cannot
run says why in its ``checkov_note``, which docs/checkov.md shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from checkov_env import checkov_command
from conftest import FIXTURES, ROOT, TODAY

from scanner.model.severity import Severity
from scanner.rules import all_rules

NOT_IN_CHECKOV = {r.id for r in all_rules() if not r.in_checkov}
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
    found: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            case = Path(check["file_path"].lstrip("/")).parts[0]
            found[case].add((check["check_id"], address(check), str(check.get("severity")).lower()))
    return found, stderr


@cache
def scanner_failures(folder: str) -> dict[str, set[tuple[str, str, str]]]:
    """``nhi-guard scan fixtures/hcl`` (or ``fixtures/plan/*.json``: a directory is scanned for .tf files)
    from the repository root, as a user runs it."""
    env = dict(os.environ, NHI_GUARD_TODAY=TODAY.isoformat())
    inputs = [f"fixtures/{folder}"] if folder == "hcl" else [str(p.relative_to(ROOT)) for p in PLAN_CASES]
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", *inputs, "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode in (0, 1), proc.stderr
    # Checkov has one result per check and resource: it carries the worst of their severities
    worst: dict[tuple[str, str, str], Severity] = {}
    for f in json.loads(proc.stdout)["findings"]:
        if f["rule_id"] not in NOT_IN_CHECKOV:
            key = (Path(f["file"]).relative_to(f"fixtures/{folder}").parts[0], f["rule_id"], f["resource"])
            severity = Severity(f["severity"])
            worst[key] = max(worst.get(key, severity), severity, key=lambda s: s.rank)
    found: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for (case, rule_id, resource), severity in worst.items():
        found[case].add((rule_id, resource, severity.value))
    return found


#: fixtures of how Terraform is evaluated (modules, count/for_each, tfvars): in Checkov, Checkov's
#: own evaluator decides that, so these differ by design (docs/checkov.md, "Evaluation")
EVALUATION_CASES = {"eval_"}
HCL_CASES = sorted(
    p for p in (FIXTURES / "hcl").iterdir() if p.is_dir() and not p.name.startswith(tuple(EVALUATION_CASES))
)
PLAN_CASES = sorted((FIXTURES / "plan").glob("*.json"))


@pytest.mark.parametrize("case", HCL_CASES + PLAN_CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_checkov_finds_what_the_scanner_finds(case: Path) -> None:
    framework = "terraform" if case.is_dir() else "terraform_plan"
    found, stderr = checkov_failures(framework)
    assert "nhi-guard: internal error" not in stderr, stderr
    ours = scanner_failures("hcl" if case.is_dir() else "plan")
    assert found.get(case.name, set()) == ours.get(case.name, set())


def test_rules_checkov_cannot_run_say_why() -> None:
    docs = (ROOT / "docs" / "checkov.md").read_text(encoding="utf-8")
    for rule in all_rules():
        if not rule.in_checkov:
            assert rule.checkov_note, f"{rule.id} does not run in Checkov: its checkov_note must say why"
            assert f"`{rule.id}`" in docs, f"{rule.id} must be listed in docs/checkov.md (regenerate the docs)"


def test_the_config_fixture_exercises_what_parity_must_cover() -> None:
    """The tree holds a per-directory config with a severity override, a disabled rule and a
    waiver, so the comparison above covers them (fixtures/hcl/config_per_directory)."""
    ours = scanner_failures("hcl")["config_per_directory"]
    assert ("NHI_AWS_001", "aws_iam_access_key.ci", "low") in ours  # high by default, overridden
    assert not any(rule == "NHI_OWN_001" for rule, _, _ in ours)  # disabled there
    assert not any(res == "aws_iam_access_key.waived" for _, res, _ in ours)  # waived there
