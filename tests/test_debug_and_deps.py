"""``--debug`` shows the traceback of every internal error, the ones the scan survives included
(a loader or a rule that raises); a missing third-party package is named, not an internal error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT

import scanner.loaders.hcl
from scanner.integrations.cli import main
from scanner.rules import all_rules

ANSWER = "fixtures/markdown/secrets_literal.md"  # relative: the report shows paths as given
MODULE = "fixtures/hcl/aws_access_key"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("NHI_GUARD_DEBUG", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)


def _scan(*args: str) -> Result:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"])
    assert isinstance(result.exception, SystemExit), result.exception
    return result


def _kaput(*args: object, **kwargs: object) -> None:
    raise RuntimeError("kaput")


@pytest.mark.parametrize("target", [ANSWER, MODULE])
def test_a_loader_bug_is_an_error_entry_and_its_traceback_is_shown_with_debug(
    monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    # inputs first: importing it binds hcl.load_chunks, which must not be the patched one yet, or
    # undoing the patch would leave inputs with _kaput for every later test
    monkeypatch.setattr("scanner.loaders.inputs.load_chunks", _kaput)
    monkeypatch.setattr(scanner.loaders.hcl, "load_chunks", _kaput)
    monkeypatch.setattr(scanner.loaders.hcl, "load_root", _kaput)  # a directory's configuration
    plain = _scan(target)
    assert plain.exit_code == 2 and plain.stderr == ""
    (error,) = json.loads(plain.stdout)["errors"]
    assert error["message"] == "internal error while loading (RuntimeError); please report it with --debug output"

    debug = _scan(target, "--debug")
    assert debug.exit_code == 2
    assert json.loads(debug.stdout)["errors"] == [error]  # the report is still written
    assert debug.stderr.startswith(f"nhi-guard: debug: internal error while loading {error['file']}:\nTraceback")
    assert debug.stderr.rstrip().endswith("RuntimeError: kaput")


def test_a_rule_bug_shows_its_traceback_with_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = next(r for r in all_rules() if r.id == "NHI_AWS_001")
    monkeypatch.setattr(type(rule), "check", _kaput)
    plain = _scan(MODULE)
    assert plain.exit_code == 2 and plain.stderr == ""
    debug = _scan(MODULE, "--debug")
    header = "nhi-guard: debug: internal error in rule NHI_AWS_001 on aws_iam_access_key."
    assert debug.stderr.startswith(header) and "Traceback (most recent call last):" in debug.stderr
    assert debug.stderr.count("RuntimeError: kaput") == debug.stderr.count(header) >= 1


def test_a_missing_markdown_parser_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "markdown_it", None)  # as after `pip install --no-deps nhi-guard`
    result = _scan(ANSWER)
    assert result.exit_code == 2 and result.stderr == ""
    assert json.loads(result.stdout)["errors"] == [
        {
            "file": "fixtures/markdown/secrets_literal.md",
            "line": None,
            "message": "cannot read this input: the Python package 'markdown-it-py' is not installed "
            "(pip install markdown-it-py)",
        }
    ]


def test_a_missing_package_anywhere_is_named_not_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_hcl2(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'hcl2'", name="hcl2")

    monkeypatch.setattr("scanner.api.scan", no_hcl2)
    result = CliRunner().invoke(main, ["scan", MODULE, "--debug"])
    assert result.exit_code == 2
    assert result.stderr == (
        "nhi-guard: error: the Python package 'python-hcl2' is not installed (pip install python-hcl2)\n"
    )


def test_ticket_pattern_without_re2_is_a_config_error_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "re2", None)
    config = tmp_path / "nhi-guard.toml"
    config.write_text("ticket_pattern = '^NO-RE2-[0-9]+$'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", MODULE, "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"nhi-guard: error: {config}: key 'ticket_pattern': Value error, needs the 'google-re2' package, "
        "which is not installed (pip install google-re2)\n"
    )
