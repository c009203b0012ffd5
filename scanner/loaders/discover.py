"""Which files a scan reads: shared by the loaders and the report cache's key.

Kept free of parser imports, so that a report-cache hit (scanner/pipeline/report_cache.py) starts
without loading Lark, the rules or the AWS catalogues.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scanner.model.resource import LoadError

STDIN = "-"
TF_SUFFIXES = (".tf", ".tf.json")
#: Largest input read (docs/security.md). A larger file is not read at all, so neither a huge
#: generated file nor /dev/zero can exhaust memory or time. HCL costs far more per byte than JSON.
MAX_TEXT_BYTES = 10 * 1024 * 1024  # .tf, .tf.json, tfvars, Markdown, files read by file()


VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def split_var(arg: str) -> tuple[str, str] | None:
    """``--var NAME=VALUE`` -> (NAME, VALUE); None when NAME is not a variable name."""
    name, sep, value = arg.partition("=")
    name = name.strip()
    if not sep or not VAR_NAME.match(name):
        return None
    return name, value


def is_tfvars(name: str) -> bool:
    """A variables file: ``*.tfvars`` or ``*.tfvars.json``."""
    return name.endswith((".tfvars", ".tfvars.json"))


def walk_inputs(root: Path, errors: list[LoadError]) -> list[str]:
    """The .tf, .tf.json and variables files below ``root``, in the order they are loaded."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(
        root,
        followlinks=False,
        onerror=lambda e: errors.append(LoadError(str(e.filename), None, f"cannot read directory: {e.strerror}")),
    ):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(TF_SUFFIXES) or is_tfvars(f))
    return found
