"""How reports name files: relative to the working directory when below it, with ``/``."""

from __future__ import annotations

import functools
import os


def display_path(path: str) -> str:
    """Paths relative to the working directory when below it, POSIX style; ``<stdin>`` as it is."""
    if path.startswith("<"):
        return path
    return _relative(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _relative(path: str, cwd: str) -> str:  # memoised: asked twice per finding (bench/README.md)
    # a file name that is not UTF-8 arrives with surrogate escapes, which no output can encode
    path = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path.replace(os.sep, "/")
    return (path if rel.startswith("..") else rel).replace(os.sep, "/")
