"""docs/integrations.md's Atlantis recipe: its policy_check `run` step, run with bash as Atlantis runs
it (``$SHOWFILE`` the plan JSON, the project directory the working directory), and its output
judged as Atlantis judges a custom policy tool's: failed when it contains the substring ``fail``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TODAY
from ruamel.yaml import YAML

DOC = ROOT / "docs" / "integrations.md"
FAILING_PLAN = ROOT / "fixtures" / "plan" / "aws_iam_count.json"
CLEAN_PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.0",
    "planned_values": {"root_module": {}},
    "resource_changes": [],
    "configuration": {"root_module": {}},
}


def run_step() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Atlantis", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    data: dict[str, Any] = YAML(typ="safe").load(block.group(1))
    steps = data["workflows"]["nhi-guard"]["policy_check"]["steps"]
    assert steps[0] == "show"
    script: str = steps[1]["run"]
    return script


def atlantis(tmp_path: Path, plan: str) -> tuple[int, str]:
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "nhi-guard"  # this checkout's CLI, as the installed command
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scanner "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    showfile = tmp_path / "plan.json"
    showfile.write_text(plan, encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "SHOWFILE": str(showfile),
        "NHI_GUARD_TODAY": TODAY.isoformat(),
    }
    done = subprocess.run(
        ["bash", "-c", run_step()], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stdout + done.stderr  # Atlantis reads both


def test_a_clean_plan_passes_atlantis_policy_check(tmp_path: Path) -> None:
    # the recipe once echoed "no finding at or above fail_on" on a pass: "fail_on" holds "fail",
    # so Atlantis reported every clean plan as a policy failure
    code, output = atlantis(tmp_path, json.dumps(CLEAN_PLAN))
    assert "fail" not in output
    assert code == 0 and "passed" in output


def test_a_plan_with_findings_fails_atlantis_policy_check(tmp_path: Path) -> None:
    code, output = atlantis(tmp_path, FAILING_PLAN.read_text(encoding="utf-8"))
    assert code == 0 and "fail" in output
    assert "NHI_AWS_001" in output  # the report is shown to the reviewer
