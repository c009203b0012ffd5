"""A progress line on stderr for scans that take more than about a second.

Shown only when stderr is a terminal: never in CI logs, pipes or files, and never on stdout,
so reports stay byte-identical. Nothing is drawn during the first second (``delay``), so quick
scans print nothing at all; after that the line is redrawn at most ten times a second and is
erased when the scan ends. No thread: the scan reports its own steps through :func:`update`,
which costs one call and a ``None`` check when no indicator is active (library use, tests).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

DELAY = 1.0
INTERVAL = 0.1


class Progress:
    def __init__(
        self,
        stream: TextIO,
        delay: float = DELAY,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.started = clock()
        self.drawn_at: float | None = None
        self.width = 0

    def update(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self.drawn_at is not None and now - self.drawn_at < self.interval and done < total:
            return
        self.drawn_at = now
        percent = f" ({100 * done // total}%)" if total > 0 else ""
        text = f"nhi-guard: {label} {done}/{total}{percent}, {now - self.started:.0f}s"
        self._write("\r" + text.ljust(self.width))
        self.width = len(text)

    def close(self) -> None:
        """Erase the line, if one was drawn."""
        if self.enabled and self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing, keep scanning
            self.enabled = False


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("NHI_GUARD_NO_PROGRESS"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_active: Progress | None = None


def update(label: str, done: int, total: int) -> None:
    """Report a step of the scan to the active indicator, if there is one."""
    if _active is not None:
        _active.update(label, done, total)


def reporter(label: str) -> Callable[[int, int], None]:
    """``update`` with the label bound, for callbacks that take ``(done, total)``."""
    return lambda done, total: update(label, done, total)


@contextlib.contextmanager
def shown(stream: TextIO | None = None, **options: object) -> Iterator[Progress]:
    """Activate an indicator on ``stream`` (stderr) for the duration of the block."""
    global _active
    progress = Progress(stream if stream is not None else sys.stderr, **options)  # type: ignore[arg-type]
    previous, _active = _active, progress
    try:
        yield progress
    finally:
        progress.close()
        _active = previous
