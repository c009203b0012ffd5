"""templates/gitlab/nhi-guard.gitlab-ci.yml: its before_script and script lines, run with bash as a
GitLab runner would (variables from the template, CI_PROJECT_DIR the project); nhi-guard is
installed from this checkout instead of the git URL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from conftest import ROOT, TODAY
from ruamel.yaml import YAML

TEMPLATE = ROOT / "templates" / "gitlab" / "nhi-guard.gitlab-ci.yml"
DATA = ROOT / "tests" / "data"
ACCESS_KEY = ROOT / "fixtures" / "hcl" / "aws_access_key" / "main.tf"


def template() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(TEMPLATE.read_text(encoding="utf-8"))
    return data


def test_template_shape() -> None:
    data = template()
    job = data[".nhi-guard"]
    assert data["nhi-guard"]["extends"] == ".nhi-guard"
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json", "junit": "nhi-guard-junit.xml"}
    assert set(data["variables"]) == {"NHI_GUARD_PATHS", "NHI_GUARD_PIP_SPEC", "NHI_GUARD_ARGS"}


def test_default_install_needs_no_git() -> None:
    """The job's image, python:3.12-slim, has no git, so pip cannot install a `git+https://` URL
    ("Cannot find command 'git'"): the template installs GitHub's archive of the tag instead."""
    data = template()
    assert data[".nhi-guard"]["image"] == "python:3.12-slim"
    spec = data["variables"]["NHI_GUARD_PIP_SPEC"]
    assert spec == "nhi-guard @ https://github.com/nhi-guard/nhi-guard/archive/refs/tags/v1.tar.gz"
    assert "git+https" not in TEMPLATE.read_text(encoding="utf-8")


def run_lines(lines: list[str], project: Path, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **variables, "CI_PROJECT_DIR": str(project), "NHI_GUARD_TODAY": TODAY.isoformat()}
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
    return subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A project directory with the template's before_script run once (the venv it creates)."""
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    project = tmp_path_factory.mktemp("gitlab-project")
    variables = {k: str(v) for k, v in template()["variables"].items()}
    variables["NHI_GUARD_PIP_SPEC"] = str(ROOT)  # this checkout, not the published tag
    done = run_lines(template()[".nhi-guard"]["before_script"], project, variables)
    assert done.returncode == 0, done.stdout + done.stderr
    return project, variables


Installed = tuple[Path, dict[str, str]]


def script(installed: Installed, files: dict[str, str], **overrides: str) -> subprocess.CompletedProcess[str]:
    project, variables = installed
    for old in project.iterdir():
        if old.name != ".nhi-guard-venv":
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    return run_lines(template()[".nhi-guard"]["script"], project, {**variables, **overrides})


def test_findings_fail_the_job_and_both_reports_validate(installed: tuple[Path, dict[str, str]]) -> None:
    done = script(installed, {"infra/main.tf": ACCESS_KEY.read_text(encoding="utf-8"), "README.md": "# infra\n"})
    assert done.returncode == 1, done.stderr
    assert "NHI_AWS_001  Static AWS access key never expires" in done.stdout  # the job log
    project = installed[0]
    quality = json.loads((project / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads((DATA / "gitlab-codequality.schema.json").read_text())).validate(quality)
    assert {i["location"]["path"] for i in quality} == {"infra/main.tf"}  # relative to the project: GitLab links it
    assert len(quality) == 5
    xmlschema.XMLSchema(str(DATA / "junit.xsd")).validate(str(project / "nhi-guard-junit.xml"))


def test_fail_on_none_reports_without_failing(installed: tuple[Path, dict[str, str]]) -> None:
    done = script(installed, {"infra/main.tf": ACCESS_KEY.read_text(encoding="utf-8")}, NHI_GUARD_ARGS="--fail-on none")
    assert done.returncode == 0, done.stderr
    assert len(json.loads((installed[0] / "gl-code-quality-report.json").read_text(encoding="utf-8"))) == 5


def test_a_project_without_terraform_passes(installed: tuple[Path, dict[str, str]]) -> None:
    done = script(installed, {"docs/README.md": "no terraform\n"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((installed[0] / "gl-code-quality-report.json").read_text(encoding="utf-8")) == []
