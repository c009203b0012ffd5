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


def walk_inputs(root: Path, errors: list[LoadError]) -> list[str]:
    """The .tf and .tf.json files below ``root``, in the order they are loaded."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(
        root,
        followlinks=False,
        onerror=lambda e: errors.append(LoadError(str(e.filename), None, f"cannot read directory: {e.strerror}")),
    ):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(TF_SUFFIXES))
    return found
