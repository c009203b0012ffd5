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


#: the error entry of a link that leads out of the scanned directory; its target is never opened
OUTSIDE_LINK = "symbolic link to a file outside the scanned directory; skipped, not read"


def walk_inputs(root: Path, errors: list[LoadError], recursive: bool = True) -> list[str]:
    """The .tf, .tf.json and variables files below ``root``, in the order they are loaded;
    with ``recursive=False``, those in ``root`` itself only (one module, as Terraform reads it).

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
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules") if recursive else []
        for name in sorted(filenames):
            if not name.endswith(TF_SUFFIXES) and not is_tfvars(name):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not within(os.path.realpath(path), inside):
                errors.append(LoadError(path, None, OUTSIDE_LINK))
                continue
            found.append(path)
    return found


def within(path: str, directory: str) -> bool:
    """``path`` is ``directory`` or below it (both real paths)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
