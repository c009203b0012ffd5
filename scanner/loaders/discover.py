"""Which files a scan reads: shared by the loaders and the report cache's key.

Kept free of parser imports, so that a report-cache hit (scanner/pipeline/report_cache.py) starts
without loading Lark, the rules or the AWS catalogues.
"""

from __future__ import annotations

import os
from pathlib import Path

from scanner.model.resource import LoadError

STDIN = "-"
TF_SUFFIXES = (".tf", ".tf.json")


#: the error entry of a link that leads out of the scanned directory; its target is never opened
OUTSIDE_LINK = "symbolic link to a file outside the scanned directory; skipped, not read"


def walk_inputs(root: Path, errors: list[LoadError]) -> list[str]:
    """The .tf and .tf.json files below ``root``, in the order they are loaded.

    Directory links are not followed (a loop would never end), and a file link is taken only
    when its target lies inside ``root``: a pull request can add ``x.tf -> /etc/...`` or a link
    into another checkout, and the scan must not read, hash or show what it points at. Such a
    link is an error entry (exit 2), so it is not skipped silently.
    """
    inside = os.path.realpath(root)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(
        root,
        followlinks=False,
        onerror=lambda e: errors.append(LoadError(str(e.filename), None, f"cannot read directory: {e.strerror}")),
    ):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        for name in sorted(filenames):
            if not name.endswith(TF_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not _within(os.path.realpath(path), inside):
                errors.append(LoadError(path, None, OUTSIDE_LINK))
                continue
            found.append(path)
    return found


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
