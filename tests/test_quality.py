"""ruff and mypy are part of the test suite, so CI and `pytest` enforce them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    pytest.importorskip("ruff", reason="install the dev extra: pip install -e '.[dev]'")
    result = _run("ruff", "check", "scanner", "tests", "bench", "scripts", "fuzz", "checks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    pytest.importorskip("mypy", reason="install the dev extra: pip install -e '.[dev]'")
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
