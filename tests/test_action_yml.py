"""action.yml and the dogfood workflow: valid metadata, pinned, and its run: steps executed as a runner would.

The steps are read from action.yml itself, expressions substituted, and each ``run:`` script run
with ``bash --noprofile --norc -eo pipefail`` (what ``shell: bash`` means on a runner). So the
YAML cannot drift from the Python: a renamed input, env variable, step id or output breaks a test.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from ruamel.yaml import YAML
from test_action_harness import TOKEN, FakeGitHub, build_repo, fake_github, parse_outputs, runner_env

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "nhi-guard.yml"
REQUIREMENTS = ROOT / "scanner" / "integrations" / "action" / "requirements.txt"
UPDATE_SCRIPT = ROOT / "scripts" / "update_action_requirements.py"
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))  # YAML 1.2: `on:` stays a string


def vendored_schema(name: str) -> dict[str, Any]:
    """A schema check-jsonschema ships (``--builtin-schema vendor.<name>``)."""
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(f"{name}.json")
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(("path", "schema"), [(ACTION, "github-actions"), (WORKFLOW, "github-workflows")])
def test_validates_against_the_published_schema(path: Path, schema: str) -> None:
    doc = vendored_schema(schema)
    cls = jsonschema.validators.validator_for(doc)
    cls.check_schema(doc)
    errors = sorted(cls(doc).iter_errors(load_yaml(path)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_action_is_composite_bash_and_pinned() -> None:
    action = load_yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"  # the same shell on Linux, macOS and Windows runners
        else:
            assert PINNED_USES.match(step["uses"]), step["uses"]
    python = next(s for s in steps if "uses" in s)
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"]["update-environment"] is False  # the job's own Python is left alone
    for job in load_yaml(WORKFLOW)["jobs"].values():
        for step in job["steps"]:
            uses = step.get("uses")
            assert uses is None or uses == "./" or PINNED_USES.match(uses), uses


def requirement_lines() -> list[str]:
    """The requirements file's logical lines, ``\\`` continuations joined, as pip reads them."""
    out, current = [], ""
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            assert not current, "a comment inside a continued requirement"
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            if current.strip():
                out.append(" ".join(current.split()))
            current = ""
    assert not current.strip(), "the last requirement ends with a continuation"
    return out


def test_requirements_are_pinned_with_hashes_and_match_pyproject() -> None:
    import tomllib

    pinned = {}
    for line in requirement_lines():
        spec_text, *hashes = line.split(" --hash=")
        req = Requirement(spec_text)
        (spec,) = req.specifier
        assert spec.operator == "==", line
        assert hashes, f"{req.name} has no --hash: pip --require-hashes refuses it"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), line
        assert len(set(hashes)) == len(hashes), line
        pinned[canonicalize_name(req.name)] = spec.version
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = {"python_version": "3.12", "python_full_version": "3.12.0"}
    for dep in map(Requirement, pyproject["project"]["dependencies"]):
        if dep.marker and not dep.marker.evaluate(target):
            continue  # the action runs Python 3.12
        name = canonicalize_name(dep.name)
        assert name in pinned, f"{name} is a dependency but not pinned in {REQUIREMENTS.name}"
        assert dep.specifier.contains(pinned[name]), f"{name}=={pinned[name]} does not satisfy {dep}"
    # `pip install --no-build-isolation` builds the checkout with the pinned setuptools
    for req in map(Requirement, pyproject["build-system"]["requires"]):
        name = canonicalize_name(req.name)
        assert name in pinned, f"build requirement {name} is not pinned in {REQUIREMENTS.name}"
        assert req.specifier.contains(pinned[name]), f"{name}=={pinned[name]} does not satisfy {req}"


def test_install_step_checks_hashes() -> None:
    install = next(s for s in load_yaml(ACTION)["runs"]["steps"] if s.get("id") == "install")
    (from_index,) = [line for line in install["run"].splitlines() if "requirements.txt" in line]
    assert "--require-hashes" in from_index and "--only-binary=:all:" in from_index
    (checkout,) = [line for line in install["run"].splitlines() if line.strip().endswith('"$NHI_GUARD_ACTION_PATH"')]
    assert "--no-deps" in checkout and "--no-build-isolation" in checkout  # it fetches nothing


@pytest.fixture
def update_script() -> Iterator[Any]:
    """scripts/update_action_requirements.py, imported."""
    spec = importlib.util.spec_from_file_location("update_action_requirements", UPDATE_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_requirements_file_is_what_the_script_writes(update_script: Any) -> None:
    """The file is in the script's canonical form, so regenerating it changes only what changed upstream."""
    text = REQUIREMENTS.read_text(encoding="utf-8")
    pins = update_script.parse(text)
    assert update_script.render(pins) == text
    assert {p.key for p in pins} >= {"pydantic-core", "regex", "google-re2", "setuptools"}
    # compiled code: a wheel per platform, at least one per operating system of the hosted runners
    systems = {t.markers["sys_platform"] for t in update_script.TARGETS}
    assert systems == {"linux", "darwin", "win32"}
    assert all(len(p.hashes) >= len(systems) for p in pins if p.key in ("pydantic-core", "regex", "google-re2"))


def test_script_finds_a_dependency_of_one_platform_only(update_script: Any) -> None:
    # pip download evaluates markers for the machine it runs on: the script evaluates them per target
    pin = update_script.Pin
    pins = [pin("click", "8.1.8"), pin("regex", "2026.11.15")]
    requires = {"click": [Requirement('colorama; platform_system == "Windows"'), Requirement("regex>=2024")]}
    problems = {t.name: update_script.missing_dependencies(pins, requires, t) for t in update_script.TARGETS}
    assert problems["linux-x86_64"] == problems["macos-arm64"] == []
    assert problems["windows-amd64"] == [
        'windows-amd64: click needs colorama; platform_system == "Windows", which is not pinned for this platform'
    ]
    pins.append(pin("colorama", "0.4.6", 'sys_platform == "win32"'))
    assert update_script.missing_dependencies(pins, requires, update_script.TARGETS[-1]) == []
    requires["click"].append(Requirement("regex<2025"))
    (problem,) = update_script.missing_dependencies(pins, requires, update_script.TARGETS[0])
    assert "not regex==2026.11.15" in problem


def test_every_input_reaches_the_python_and_every_output_comes_from_it() -> None:
    action = load_yaml(ACTION)
    scan = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    passed = {k: v for k, v in scan["env"].items() if k.startswith("INPUT_")}
    assert passed == {f"INPUT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}" for name in
                      action["inputs"]}  # fmt: skip
    context = ROOT / "scanner" / "integrations" / "action" / "context.py"
    read = set(re.findall(r'"(INPUT_[A-Z_]+)"', context.read_text()))
    assert read == set(passed)
    for name, output in action["outputs"].items():  # each one is written: test_run_steps_of_action_yml
        assert output["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"


def test_workflow_permissions_and_sarif_upload() -> None:
    wf = load_yaml(WORKFLOW)
    assert set(wf["on"]) == {"pull_request", "push"}
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write", "security-events": "write"}
    steps = wf["jobs"]["fixtures"]["steps"]
    assert [s["uses"] for s in steps if s.get("uses") == "./"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"] == {"sarif_file": "${{ steps.nhi-guard.outputs.sarif-file }}", "category": "nhi-guard"}


# --------------------------------------------------------------------------- the steps, run as a runner would

FAKE_PYTHON = """#!/usr/bin/env bash
# stands in for actions/setup-python's interpreter: `-m venv` and `-m pip` are recorded, the rest runs
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then printf '%s\\n' "$*" >> "$FAKE_PIP_LOG"; exit 0; fi
exec "{python}" "$@"
"""


class ActionRunner:
    """Runs action.yml's steps: ``uses:`` steps are simulated, ``run:`` steps are executed, each
    step only when its ``if:`` holds (default ``success()``), as the runner decides it."""

    def __init__(self, env: dict[str, str], inputs: dict[str, str], python_path: str, cwd: Path) -> None:
        self.action = load_yaml(ACTION)
        self.env = env
        self.inputs = inputs
        self.python_path = python_path
        self.cwd = cwd
        self.steps: dict[str, dict[str, str]] = {}
        self.logs: dict[str, str] = {}
        #: the simulated ``uses:`` steps that ran other than setup-python: (action, its ``with:``)
        self.used: list[tuple[str, dict[str, str]]] = []

    def expr(self, text: str) -> str:
        def value(m: re.Match[str]) -> str:
            ref = m.group(1)
            if ref.startswith("inputs."):
                name = ref.split(".", 1)[1]
                assert name in self.action["inputs"], f"unknown input {name}"
                raw = self.inputs.get(name, str(self.action["inputs"][name].get("default", "")))
                return self.expr(raw)
            if ref.startswith("steps."):
                _, step, kind, name = ref.split(".", 3)
                assert kind == "outputs" and step in self.steps, ref
                return self.steps[step].get(name, "")
            known = {"github.action_path": str(ROOT), "github.token": TOKEN}
            assert ref in known, f"the runner stand-in cannot evaluate {ref}"
            return known[ref]

        return EXPRESSION.sub(value, text)

    def condition(self, text: str, failed: bool) -> bool:
        """A step's ``if:`` in the subset of GitHub's expression language action.yml uses."""
        expr = text.strip()
        if expr.startswith("${{") and expr.endswith("}}"):
            expr = expr[3:-2].strip()

        def value(m: re.Match[str]) -> str:
            return repr(self.expr("${{ " + m.group(0) + " }}"))

        expr = re.sub(r"(?:steps|inputs)\.[\w-]+(?:\.outputs\.[\w-]+)?", value, expr)
        for call, result in (("success()", not failed), ("failure()", failed), ("always()", True),
                             ("cancelled()", False)):  # fmt: skip
            expr = expr.replace(call, repr(result))
        expr = re.sub(r"!(?!=)", " not ", expr.replace("&&", " and ").replace("||", " or "))
        assert re.fullmatch(r"[\w\s'\-./:=!()]*", expr), expr  # nothing but literals and operators is evaluated
        return bool(eval(expr, {"__builtins__": {}}))

    def run(self) -> int:
        code = 0
        for i, step in enumerate(self.action["runs"]["steps"]):
            sid = step.get("id", f"step{i}")
            if not self.condition(str(step.get("if", "success()")), failed=code != 0):
                continue
            if "uses" in step:
                if step["uses"].startswith("actions/setup-python@"):
                    self.steps[sid] = {"python-path": self.python_path, "python-version": "3.12.0"}
                else:
                    self.used.append((step["uses"], {k: self.expr(str(v)) for k, v in step.get("with", {}).items()}))
                continue
            output = Path(self.env["RUNNER_TEMP"]) / f"output-{sid}.txt"
            output.write_text("", encoding="utf-8")
            env = {**self.env, **{k: self.expr(str(v)) for k, v in step.get("env", {}).items()}}
            env["GITHUB_OUTPUT"] = str(output)
            script = Path(self.env["RUNNER_TEMP"]) / f"step-{sid}.sh"
            script.write_text(self.expr(step["run"]), encoding="utf-8")
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            self.logs[sid] = proc.stdout + proc.stderr
            self.steps[sid] = parse_outputs(output.read_text(encoding="utf-8"))
            code = code or proc.returncode
        return code

    def outputs(self) -> dict[str, str]:
        return {name: self.expr(o["value"]) for name, o in self.action["outputs"].items()}


def base_env(tmp_path: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG")
    return {k: os.environ[k] for k in keep if k in os.environ}


def test_run_steps_of_action_yml(tmp_path: Path, github: FakeGitHub) -> None:
    # the workspace is the working directory: its own `scanner` package must not be the one run
    shadow = {"scanner/__init__.py": "raise SystemExit('imported the scanner package of the repository')\n"}
    repo, base, head = build_repo(tmp_path, extra_head=shadow)
    fake = tmp_path / "setup-python" / "python"
    fake.parent.mkdir()
    fake.write_text(FAKE_PYTHON.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    env = {**base_env(tmp_path), **runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head)}
    env = {k: v for k, v in env.items() if not k.startswith("INPUT_")}  # the step passes the inputs itself
    env["FAKE_PIP_LOG"] = str(tmp_path / "pip.log")
    env["PYTHONPATH"] = str(ROOT)
    runner = ActionRunner(env, {"new-only": "true", "path": "infra"}, str(fake), repo)
    code = runner.run()
    assert code == 1, runner.logs

    venv = Path(env["RUNNER_TEMP"]) / "nhi-guard-venv"
    assert runner.steps["install"] == {"python": f"{venv}/bin/python"}
    pip = (tmp_path / "pip.log").read_text(encoding="utf-8").splitlines()
    common = "-m pip install --disable-pip-version-check --no-input --quiet"
    assert pip == [
        f"{common} --require-hashes --only-binary=:all: -r {ROOT}/scanner/integrations/action/requirements.txt",
        f"{common} --no-deps --no-build-isolation {ROOT}",
    ]

    outputs = runner.outputs()
    assert {k: outputs[k] for k in ("findings", "high", "preexisting", "critical", "medium", "low")} == {
        "findings": "2", "high": "2", "preexisting": "3", "critical": "0", "medium": "0", "low": "0",
    }  # fmt: skip
    assert all(outputs.values()), outputs
    assert json.loads(Path(outputs["report-file"]).read_text(encoding="utf-8"))["summary"]["total"] == 2
    assert json.loads(Path(outputs["sarif-file"]).read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert outputs["comment-url"].startswith("https://github.com/acme/infra/pull/42#issuecomment-")
    log = runner.logs["scan"]
    assert re.search(r"^::error file=infra/main\.tf,line=\d+,title=NHI_AWS_001 \(high\)%3A ", log, re.M)
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "**2 new finding(s)**" in summary and "| PR author |" in summary
    (post,) = github.writes()
    assert post.body and post.body["body"].startswith("<!-- nhi-guard -->\n")
    # the check failed: its evidence record is uploaded all the same, and not attested
    (upload,) = runner.used
    assert upload == (
        "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",
        {"name": outputs["evidence-artifact"], "path": outputs["evidence-file"], "if-no-files-found": "error"},
    )
    assert re.fullmatch(r"nhi-guard-evidence-nhi-guard-\w+", outputs["evidence-artifact"])
    assert json.loads(Path(outputs["evidence-file"]).read_text(encoding="utf-8"))["_type"] == (
        "https://in-toto.io/Statement/v1"
    )


@pytest.mark.parametrize("attest", ["true", "false"])
def test_evidence_is_attested_when_asked_and_the_check_passes(tmp_path: Path, github: FakeGitHub, attest: str) -> None:
    repo, base, head = build_repo(tmp_path)
    fake = tmp_path / "setup-python" / "python"
    fake.parent.mkdir()
    fake.write_text(FAKE_PYTHON.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    env = {**base_env(tmp_path), **runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head)}
    env = {k: v for k, v in env.items() if not k.startswith("INPUT_")}
    env["FAKE_PIP_LOG"] = str(tmp_path / "pip.log")
    env["PYTHONPATH"] = str(ROOT)
    inputs = {"path": "infra", "fail-on": "none", "comment": "false", "attest": attest, "evidence-artifact": ""}
    runner = ActionRunner(env, inputs, str(fake), repo)
    assert runner.run() == 0, runner.logs
    outputs = runner.outputs()
    assert outputs["evidence-artifact"] == ""  # upload turned off
    if attest == "false":
        assert runner.used == []
        return
    ((uses, with_),) = runner.used
    assert uses == "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6"
    statement = json.loads(Path(outputs["evidence-file"]).read_text(encoding="utf-8"))
    assert with_ == {
        "subject-checksums": runner.steps["scan"]["evidence-subjects-file"],
        "predicate-type": statement["predicateType"],
        "predicate-path": runner.steps["scan"]["evidence-predicate-file"],
        "github-token": TOKEN,
    }
    # actions/attest reads shasum lines and the predicate: the same subjects and predicate as the record
    lines = Path(with_["subject-checksums"]).read_text(encoding="utf-8").splitlines()
    assert lines == [f"{s['digest']['sha256']}  {s['name']}" for s in statement["subject"]]
    assert sorted(line.split("  ", 1)[1] for line in lines) == ["infra/legacy.tf", "infra/main.tf"]
    assert json.loads(Path(with_["predicate-path"]).read_text(encoding="utf-8")) == statement["predicate"]


@pytest.mark.skipif(
    os.environ.get("NHI_GUARD_NETWORK_TESTS") != "1",
    reason="installs from the package index; set NHI_GUARD_NETWORK_TESTS=1",
)
def test_install_step_for_real(tmp_path: Path, github: FakeGitHub) -> None:
    """The install step with a real interpreter and pip: the pins resolve and nhi-guard runs from the venv."""
    python312 = sys.executable if sys.version_info[:2] == (3, 12) else shutil.which("python3.12")
    if python312 is None:
        pytest.skip("the pins carry the hashes of Python 3.12 wheels (the action's Python); no python3.12 here")
    repo, base, head = build_repo(tmp_path)
    env = {**base_env(tmp_path), **runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head)}
    env = {k: v for k, v in env.items() if not k.startswith("INPUT_")}
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    runner = ActionRunner(env, {"comment": "false", "fail-on": "none"}, python312, repo)
    assert runner.run() == 0, runner.logs
    python = runner.steps["install"]["python"]
    where = subprocess.run([python, "-c", "import scanner; print(scanner.__file__)"], capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout  # fmt: skip
    assert str(Path(env["RUNNER_TEMP"]) / "nhi-guard-venv") in where
    assert runner.outputs()["findings"] == "5"
