"""``--debug``: the traceback of every internal error, also of those the scan survives.

A bug in a loader or a rule does not end the scan: the input or the resource becomes an error
entry ("internal error while loading ...", "internal error in rule ...") and the rest is still
scanned. With ``--debug`` (or ``NHI_GUARD_DEBUG=1``) each of them also prints its traceback on
stderr, so the bug can be reported; the report is written as usual. Without it, messages name
the exception's type only: an exception's text can quote the input, and the input can hold
secrets.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator

_on = False
#: where tracebacks go: stderr, or what a front end chose (the Action keeps workflow commands off)
_write: Callable[[str], None] | None = None


def enabled() -> bool:
    return _on or bool(os.environ.get("NHI_GUARD_DEBUG"))


@contextlib.contextmanager
def turned_on(flag: bool, write: Callable[[str], None] | None = None) -> Iterator[None]:
    """Debug output for the scans run inside (worker processes forked meanwhile inherit it),
    written by ``write`` when given."""
    global _on, _write
    before = _on, _write
    _on = _on or flag
    _write = write or _write
    try:
        yield
    finally:
        _on, _write = before


def internal_error(exc: BaseException, what: str) -> None:
    """Print ``exc``'s traceback on stderr when debugging; ``what`` says where it happened."""
    if not enabled():
        return
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = f"nhi-guard: debug: internal error {what}:\n{text}"
    with contextlib.suppress(OSError, ValueError):  # stderr closed or full: the error entry still says it
        if _write is not None:
            _write(message)
        else:
            sys.stderr.write(message)
            sys.stderr.flush()
