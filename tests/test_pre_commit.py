""".pre-commit-hooks.yaml, run for real: ``pre-commit try-repo`` installs nhi-guard from this checkout
into its own environment (``language: python``: pip from the configured index, no other network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TODAY

pytest.importorskip("pre_commit", reason="install the test extra: pip install -e '.[test]'")

BAD = """\
resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { owner = "team-a", approved_by = "bob", change_ticket = "CHG-1" }
}
"""
KEY = 'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'
PLAN = ROOT / "fixtures" / "plan" / "aws_iam_count.json"


def git(repo: Path, *args: str) -> None:
    cmd = ["git", "-c", "init.defaultBranch=main", *args]
    subprocess.run(cmd, cwd=repo, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME for the module: the hook environment is installed once."""
    if not (ROOT / ".git").exists():
        pytest.skip("pre-commit try-repo needs this checkout to be a git repository")
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(home: Path, project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NHI_GUARD_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--color", "never", "--files", *files],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "users.tf").write_text(BAD, encoding="utf-8")
    (tmp_path / "infra" / "keys.tf").write_text(KEY, encoding="utf-8")
    (tmp_path / "README.md").write_text("# project\n", encoding="utf-8")
    git(tmp_path, "add", "-A")
    return tmp_path


def test_try_repo_fails_on_a_never_expiring_access_key(home: Path, project: Path) -> None:
    done = try_repo(home, project, "nhi-guard", "infra/keys.tf", "README.md")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "nhi-guard" in out and "Failed" in out
    assert "NHI_AWS_001  Static AWS access key never expires" in out
    # the whole module was scanned: the user the key belongs to is in users.tf, which did not change
    assert "1 finding(s) (1 high) in 2 resource(s) from 2 file(s)" in out


def test_try_repo_passes_a_clean_module(home: Path, project: Path) -> None:
    (project / "infra" / "keys.tf").unlink()
    git(project, "add", "-A")
    done = try_repo(home, project, "nhi-guard", "infra/users.tf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_try_repo_plan_hook(home: Path, project: Path) -> None:
    (project / "plan.json").write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    git(project, "add", "-A")
    done = try_repo(home, project, "nhi-guard-plan", "plan.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NHI_AWS_001" in done.stdout


@pytest.mark.parametrize(
    ("name", "scanned"),
    [
        ("plan.json", True),
        ("envs/prod/plan.json", True),
        ("prod.tfplan.json", True),
        ("tfplan.json", True),
        ("plan-prod.json", True),
        ("prod_plan.json", True),
        ("main.tf.json", False),
        # "plan" inside another word: scanned, each failed the commit ("JSON is not a Terraform plan")
        ("locales/explanation.json", False),
        ("assets/airplane.json", False),
        ("planets.json", False),
    ],
)
def test_plan_hook_matches_plan_files_only(name: str, scanned: bool) -> None:
    import re

    from ruamel.yaml import YAML

    hooks = {h["id"]: h for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    hook = hooks["nhi-guard-plan"]
    # pre-commit's rule: `files` searched in the path, and `exclude` not
    matched = bool(re.search(hook["files"], name)) and not re.search(hook.get("exclude", "^$"), name)
    assert matched is scanned
