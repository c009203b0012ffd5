"""A real checkov, pinned, in its own virtual environment (never the project's).

checkov depends on bc-python-hcl2, which installs the same ``hcl2`` package as our
python-hcl2; mixing them corrupts both. The environment is created on first use
from checks/requirements-checkov.txt, or taken from ``NHI_GUARD_CHECKOV``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

VENV = ROOT / ".venv-checkov"
REQUIREMENTS = ROOT / "checks" / "requirements-checkov.txt"


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


def checkov_python() -> Path:
    explicit = os.environ.get("NHI_GUARD_CHECKOV")
    if explicit:
        return Path(explicit).parent / ("python.exe" if os.name == "nt" else "python")
    python = _bin(VENV, "python")
    marker = VENV / ".requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=True,
                       capture_output=True, timeout=1200)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        message = f"could not create the checkov environment in {VENV}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    marker.write_text(wanted, encoding="utf-8")
    return python


def checkov_command() -> list[str]:
    explicit = os.environ.get("NHI_GUARD_CHECKOV")
    if explicit:
        return [explicit]
    return [str(_bin(checkov_python().parent.parent, "checkov"))]
