"""The progress line: only on a terminal, only after a second, erased at the end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.cli import main
from scanner.util import progress
from scanner.util.progress import Progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_drawn_during_the_first_second() -> None:
    tty, clock = FakeTTY(), Clock()
    p = Progress(tty, clock=clock)
    for i in range(1, 50):
        clock.now += 0.01
        p.update("loading", i, 100)
    p.close()
    assert tty.getvalue() == ""


def test_drawn_after_a_second_throttled_and_erased() -> None:
    tty, clock = FakeTTY(), Clock()
    p = Progress(tty, clock=clock)
    clock.now += 1.5
    p.update("checking resources", 10, 40)
    assert tty.getvalue() == "\rnhi-guard: checking resources 10/40 (25%), 2s"
    clock.now += 0.01
    p.update("checking resources", 11, 40)  # within the redraw interval: skipped
    assert tty.getvalue().count("\r") == 1
    clock.now += 0.2
    p.update("checking resources", 40, 40)
    assert tty.getvalue().endswith("\rnhi-guard: checking resources 40/40 (100%), 2s")
    p.close()
    out = tty.getvalue()
    assert out.endswith("\r" + " " * len("nhi-guard: checking resources 40/40 (100%), 2s") + "\r")


def test_a_shorter_line_overwrites_a_longer_one() -> None:
    tty, clock = FakeTTY(), Clock()
    p = Progress(tty, clock=clock, delay=0, interval=0)
    p.update("loading .tf modules", 999, 1000)
    p.update("checking", 1, 2)
    last = tty.getvalue().rsplit("\r", 1)[-1]
    assert len(last) == len("nhi-guard: loading .tf modules 999/1000 (99%), 0s")
    assert last.startswith("nhi-guard: checking 1/2 (50%)")


def test_not_a_terminal_draws_nothing() -> None:
    plain, clock = io.StringIO(), Clock()
    p = Progress(plain, clock=clock)
    clock.now += 5
    p.update("loading", 1, 2)
    p.close()
    assert plain.getvalue() == ""


def test_opt_out_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHI_GUARD_NO_PROGRESS", "1")
    assert not Progress(FakeTTY()).enabled


def test_a_closed_terminal_stops_drawing_without_error() -> None:
    tty = FakeTTY()
    p = Progress(tty, delay=0, interval=0)
    tty.close()
    p.update("loading", 1, 2)
    p.close()
    assert not p.enabled


def test_module_level_update_is_a_no_op_without_an_indicator() -> None:
    progress.update("loading", 1, 2)  # nothing active: must not fail or print
    tty = FakeTTY()
    with progress.shown(tty, delay=0, interval=0) as p:
        assert progress._active is p
        progress.reporter("loading")(1, 2)
    assert progress._active is None
    assert "loading 1/2" in tty.getvalue()


def test_a_scan_reports_its_steps_and_leaves_a_clean_line(tmp_path: Path) -> None:
    tty = FakeTTY()
    with progress.shown(tty, delay=0, interval=0):
        scan([str(FIXTURES / "hcl" / "aws_access_key")], ScanOptions(today=TODAY))
    out = tty.getvalue()
    assert "loading .tf modules 1/1" in out
    assert "checking resources" in out
    assert out.endswith("\r") and out.rsplit("\r", 2)[-2].strip() == ""


def test_cli_never_draws_when_stderr_is_not_a_terminal() -> None:
    result = CliRunner().invoke(main, ["scan", str(FIXTURES / "hcl" / "aws_access_key"), "--format", "json"])
    assert "\r" not in result.stderr and "nhi-guard: checking" not in result.stderr
