"""Reuse a whole report when nothing that shapes it has changed (``--cache``, ``--cache-dir``).

The module cache (:mod:`scanner.loaders.module_cache`) saves parsing, but the rules still run on every
resource: on an unchanged 1,000-file tree that left a re-scan only 3x faster than a cold one
(bench/README.md). This second level keys the finished report on everything that can change
it, so the common re-scan (pre-commit, editor, a CI job re-run) skips loading and rules.

The key is a SHA-256 over the module cache's salt (format, versions of nhi-guard, python-hcl2,
Lark and Python, and a hash of nhi-guard's source), a hash of nhi-guard's data files (the AWS
catalogues), the working directory (report paths are relative to it), the scan options, the
whole configuration and the config file's path and content (waivers in it are reported by file
and line), and the path and full content of every input file, discovered exactly as the loaders
discover them, and of every ``--var-file``. What the evaluation read besides (modules a
configuration calls from outside the scanned paths, ``file()`` targets, ``modules.json``) is
stored with the report and checked on every hit (scanner/loaders/deps.py). The key is computed
again after the scan, and the report is stored only if it has not changed: a file saved while
it was being scanned must not leave a report that belongs to neither version. A changed, added
or removed file is a different key. Reports hold no secrets (they are redacted before they are
stored) and entries are written like module cache entries: atomically, JSON, in a private
directory. An unreadable or corrupt entry is a miss. Scans that read anything the key cannot
cover are never cached: stdin, named pipes and other non-regular files, and ``--source-dir``
(the plan's ``.tf`` sources).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scanner import DATA_DIR
from scanner.loaders.discover import STDIN, walk_inputs
from scanner.model.report import Report
from scanner.model.resource import LoadError
from scanner.policy.config import ConfigError, ConfigFile, Configs

if TYPE_CHECKING:
    from scanner.loaders.module_cache import ModuleCache

FORMAT = 2
_CHUNK = 1 << 20


@functools.lru_cache(maxsize=1)
def _data_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _update(digest: hashlib._Hash, text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    digest.update(len(raw).to_bytes(8, "big"))
    digest.update(raw)


def _hash_file(digest: hashlib._Hash, path: str) -> bool:
    """Add a regular file's path and content; False when it is not one or cannot be read."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # a FIFO (`<(terraform show -json p)`) would be consumed by reading it
        _update(digest, path)
        with open(path, "rb") as fh:
            size = 0
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        digest.update(size.to_bytes(8, "big"))
    except OSError:
        return False
    return True


def scan_key(
    paths: list[str],
    configs: Configs,
    options: str,
    cache: ModuleCache,
    governed_by: Callable[[str], str | None] | None = None,
    extra_files: Sequence[str] = (),
) -> str | None:
    """The report's key, or None when this scan must not be cached.

    ``options`` is everything else that shapes the report, as text (the entry point's options);
    ``extra_files`` are files named by options whose content counts too (``--var-file``).
    Every config that governs an input is part of the key: its settings, its file's name and
    content (waivers in it are reported by file and line). ``governed_by`` names another file
    that governs an input (its approval ledger): its name and content are part of the key too.
    """
    if STDIN in paths:
        return None
    digest = hashlib.sha256()
    for part in (f"scan-cache={FORMAT}", cache.salt, _data_fingerprint(), os.getcwd(), options):
        _update(digest, part)
    for extra in extra_files:
        if not _hash_file(digest, extra):
            return None
    governing: dict[str, ConfigFile] = {}
    others: set[str] = set()
    for raw in paths:
        _update(digest, raw)
        path = Path(raw)
        if path.is_dir():
            errors: list[LoadError] = []
            files = walk_inputs(path, errors)
            if errors:
                return None
        elif path.is_file():
            files = [raw]
        else:
            return None
        for f in files:
            if not _hash_file(digest, f):
                return None
            try:
                cf = configs.for_input(f)
            except ConfigError:
                return None
            governing[cf.path or ""] = cf
            other = governed_by(f) if governed_by is not None else None
            if other:
                others.add(other)
    for name in sorted(others):
        _update(digest, name)
        if not _hash_file(digest, name):
            return None
    for name in sorted(governing):
        _update(digest, name)
        _update(digest, governing[name].config.model_dump_json())
        if name and not _hash_file(digest, name):
            return None
    return digest.hexdigest()


def get(cache: ModuleCache, key: str) -> Report | None:
    """The stored report; None when absent, corrupt, or a file its scan read has changed."""
    from scanner.loaders.deps import still_valid

    text = cache.get_text("report", key)
    if text is None:
        return None
    try:
        entry = json.loads(text)
        if not isinstance(entry, dict) or set(entry) != {"depends", "report"}:
            return None
        depends, report = entry["depends"], entry["report"]
        if not isinstance(report, str) or not isinstance(depends, dict):
            return None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in depends.items()) or not still_valid(depends):
            return None
        return Report.model_validate_json(report)
    except (ValueError, RecursionError):  # pydantic's ValidationError is a ValueError: a corrupt entry is a miss
        return None


def put(cache: ModuleCache, key: str, report: Report, depends: dict[str, str] | None = None) -> None:
    """Store the report with what its scan read besides its inputs (``depends``)."""
    cache.put_text("report", key, json.dumps({"depends": depends or {}, "report": report.model_dump_json()}))
