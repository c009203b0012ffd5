"""A report that cannot be written is an output failure, not an internal error.

``> /dev/full`` and a closed stdout give one line and exit 2; a reader that goes away
(``| head``) ends the scan quietly. Run as real processes: the failure happens in the file
descriptor, which click's test runner replaces.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

CLI = [sys.executable, "-m", "scanner"]
FIXTURE = str(FIXTURES / "hcl" / "aws_access_key")
COMMANDS = {
    "scan text": ["scan", FIXTURE],
    "scan json": ["scan", FIXTURE, "--format", "json"],
    "scan markdown": ["scan", FIXTURE, "--format", "markdown"],
    "rules": ["rules"],
    "explain": ["explain", "NHI_AWS_001"],
    "version": ["--version"],
}


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NHI_GUARD_NO_PROGRESS": "1"}
    env.pop("NHI_GUARD_DEBUG", None)
    return subprocess.run(
        [*CLI, *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, timeout=120, **kwargs  # type: ignore[call-overload]
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_full_stdout_is_one_line_and_exit_2(name: str) -> None:
    with open("/dev/full", "w") as full:
        proc = _run(COMMANDS[name], stdout=full)
    assert proc.returncode == 2
    assert proc.stderr == "nhi-guard: error: cannot write to stdout: No space left on device\n"


@pytest.mark.skipif(os.name != "posix", reason="closes descriptor 1 in the child")
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_closed_stdout_is_one_line_and_exit_2(name: str) -> None:
    proc = _run(COMMANDS[name], stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert proc.stderr == "nhi-guard: error: cannot write to stdout: stdout is closed\n"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_a_reader_that_goes_away_ends_the_scan_quietly(fmt: str) -> None:
    """``nhi-guard scan ... | head -c 10``: a report larger than the pipe's buffer, read 10 bytes."""
    env = {**os.environ, "NHI_GUARD_NO_PROGRESS": "1"}
    args = [*CLI, "scan", str(FIXTURES / "hcl"), str(FIXTURES / "plan"), "--format", fmt]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 2
    assert stderr == b""
