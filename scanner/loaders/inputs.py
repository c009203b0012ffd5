"""Find inputs under the given paths and dispatch each to its loader."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.markdown import extract_chunks
from scanner.loaders.plan import is_plan, load_plan
from scanner.model import Document, LoadError

STDIN = "-"
_MARKDOWN_EXT = {".md", ".markdown", ".mdx"}


@dataclass
class Loaded:
    """Every document of a scan, each with the scope that references resolve in."""

    documents: list[tuple[str, Document]] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    files: int = 0


def read_text(path: str, data: bytes, errors: list[LoadError]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(
            LoadError(path, line, "file is not valid UTF-8; undecodable bytes were replaced and the rest was scanned")
        )
        return data.decode("utf-8", errors="replace")


def sniff(text: str) -> str:
    """``plan``, ``markdown`` or ``hcl`` from content alone (stdin, odd extensions)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json"
    if "```" in text or "~~~" in text:
        return "markdown"
    return "hcl"


def _load_json(path: str, text: str, loaded: Loaded, include_unchanged: bool) -> None:
    try:
        data = json.loads(text)
    except RecursionError:
        loaded.errors.append(LoadError(path, None, "JSON nested too deeply to read"))
        return
    except json.JSONDecodeError as exc:
        loaded.errors.append(LoadError(path, exc.lineno, f"invalid JSON: {exc.msg}"))
        return
    if not is_plan(data):
        what = (
            "a Terraform state file"
            if isinstance(data, dict) and "serial" in data and "lineage" in data
            else "a Terraform plan"
        )
        hint = "" if what == "a Terraform plan" else f" (it looks like {what})"
        loaded.errors.append(LoadError(path, None, f"JSON is not a Terraform plan from `terraform show -json`{hint}"))
        return
    loaded.documents.append((path, load_plan(data, text, path, include_unchanged)))


def _guarded(path: str, loaded: Loaded, load: Callable[[], None]) -> None:
    """A bug triggered by one input must not end the scan of the others."""
    try:
        load()
    except RecursionError:
        loaded.errors.append(LoadError(path, None, "input nested too deeply to read"))
    except Exception as exc:  # reported as an error entry; the scan continues
        if os.environ.get("NHI_GUARD_DEBUG"):
            raise
        loaded.errors.append(LoadError(path, None, f"internal error while loading ({type(exc).__name__}); "
                                                   "please report it with --debug output"))


def _load_text(path: str, text: str, kind: str, loaded: Loaded, include_unchanged: bool) -> None:
    _guarded(path, loaded, lambda: _load_text_unguarded(path, text, kind, loaded, include_unchanged))


def _load_text_unguarded(path: str, text: str, kind: str, loaded: Loaded, include_unchanged: bool) -> None:
    if kind == "json":
        _load_json(path, text, loaded, include_unchanged)
        return
    sources = {path: text.splitlines()}
    chunks = extract_chunks(text, path) if kind == "markdown" else [Chunk(path, text)]
    loaded.documents.append((path, load_chunks(chunks, sources)))


def load_inputs(paths: list[str], stdin_text: str | None = None, include_unchanged: bool = False) -> Loaded:
    loaded = Loaded()
    seen: set[str] = set()
    tf_dirs: dict[str, list[str]] = defaultdict(list)
    for raw in paths:
        if raw == STDIN:
            if stdin_text is not None and STDIN not in seen:
                seen.add(STDIN)
                loaded.files += 1
                _load_text("<stdin>", stdin_text, sniff(stdin_text), loaded, include_unchanged)
            continue
        path = Path(raw)
        if not path.exists():
            loaded.errors.append(LoadError(raw, None, "no such file or directory"))
            continue
        if path.is_dir():
            found = _walk(path, loaded)
            if not found:
                loaded.errors.append(LoadError(raw, None, "directory holds no .tf files"))
            for f in found:
                key = os.path.realpath(f)
                if key not in seen:
                    seen.add(key)
                    tf_dirs[str(Path(f).parent)].append(f)
            continue
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        if path.suffix == ".tf":
            tf_dirs[str(path.parent)].append(str(path))
            continue
        data = _read(str(path), loaded)
        if data is None:
            continue
        loaded.files += 1
        text = read_text(str(path), data, loaded.errors)
        kind = "json" if path.suffix == ".json" else "markdown" if path.suffix.lower() in _MARKDOWN_EXT else sniff(text)
        _load_text(str(path), text, kind, loaded, include_unchanged)
    for directory in sorted(tf_dirs):
        _load_tf_dir(directory, sorted(tf_dirs[directory]), loaded)
    return loaded


def _read(path: str, loaded: Loaded) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        loaded.errors.append(LoadError(path, None, f"cannot read file: {exc.strerror or type(exc).__name__}"))
        return None


def _load_tf_dir(directory: str, files: list[str], loaded: Loaded) -> None:
    chunks: list[Chunk] = []
    sources: dict[str, list[str]] = {}
    for f in files:
        data = _read(f, loaded)
        if data is None:
            continue
        loaded.files += 1
        text = read_text(f, data, loaded.errors)
        sources[f] = text.splitlines()
        chunks.append(Chunk(f, text))
    _guarded(directory, loaded, lambda: loaded.documents.append((directory, load_chunks(chunks, sources))))


def _walk(root: Path, loaded: Loaded) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(
        root,
        followlinks=False,
        onerror=lambda e: loaded.errors.append(
            LoadError(str(e.filename), None, f"cannot read directory: {e.strerror}")
        ),
    ):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".tf"))
    return found
