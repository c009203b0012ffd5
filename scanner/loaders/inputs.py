"""Find inputs under the given paths and dispatch each to its loader."""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import stat
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scanner.loaders.discover import (
    MAX_TEXT_BYTES,
    OUTSIDE_LINK,
    STDIN,
    TF_SUFFIXES,
    is_tfvars,
    walk_inputs,
    within,
)
from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.markdown import extract_chunks
from scanner.loaders.module_cache import ModuleCache, ModuleJob, load_modules
from scanner.loaders.plan import is_plan, load_plan
from scanner.loaders.plan_stream import split_plan
from scanner.loaders.tf_json import TfJsonError, looks_like_config, native, remap, to_hcl
from scanner.loaders.tfvars import auto_loaded, tfvars_in
from scanner.model.resource import Document, LoadError
from scanner.util import debug, progress
from scanner.util.deps import missing_package

_MARKDOWN_EXT = {".md", ".markdown", ".mdx"}
_TF_SUFFIXES = TF_SUFFIXES
MAX_PLAN_BYTES = 256 * 1024 * 1024  # plan JSON (and stdin, until its kind is known)
_LONE_SURROGATE_RE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class Loaded:
    """Every document of a scan, each with the scope that references resolve in."""

    documents: list[tuple[str, Document]] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    files: int = 0
    line_maps: dict[str, list[int]] = field(default_factory=dict)  # .tf.json: generated HCL line -> JSON line


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


def _too_large(path: str, size: int | None, limit: int, what: str) -> LoadError:
    of = f" ({size / 2**20:.1f} MiB)" if size is not None else ""
    return LoadError(path, None, f"{what} is larger than the {limit // 2**20} MiB limit{of}; not scanned")


def _scrub_surrogates(value: object) -> object:
    """JSON ``\\ud800`` escapes decode to lone surrogates, which no output can encode."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_scrub_surrogates(k): _scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_surrogates(v) for v in value]
    return value


def _not_a_plan(path: str, data: object) -> str:
    hint = ""
    if isinstance(data, dict) and "serial" in data and "lineage" in data:
        hint = " (it looks like a Terraform state file)"
    elif isinstance(data, dict) and "values" in data and "format_version" in data:
        hint = " (it looks like `terraform show -json` of a state, not of a plan)"
    elif path.endswith(".tfvars.json"):
        hint = " (it looks like a variables file, .tfvars.json, which declares no resources; pass it with --var-file)"
    return f"JSON is not a Terraform plan from `terraform show -json`{hint}"


def _load_json(path: str, text: str, loaded: Loaded, include_unchanged: bool) -> None:
    streamed = None if _LONE_SURROGATE_RE.search(text) else split_plan(text)
    if streamed is not None and is_plan(streamed.top):
        loaded.documents.append(
            (path, load_plan(streamed.top, text, path, include_unchanged, changes=streamed.changes()))
        )
        return
    try:
        data = json.loads(text)
    except RecursionError:
        loaded.errors.append(LoadError(path, None, "JSON nested too deeply to read"))
        return
    except json.JSONDecodeError as exc:
        loaded.errors.append(LoadError(path, exc.lineno, f"invalid JSON: {exc.msg}"))
        return
    except ValueError:  # an integer of more than 4300 digits
        loaded.errors.append(LoadError(path, None, "invalid JSON: a number is too long to read"))
        return
    if _LONE_SURROGATE_RE.search(text):
        data = _scrub_surrogates(data)
    if not is_plan(data) and looks_like_config(data):
        _load_tf_json(path, text, loaded)
        return
    if not is_plan(data):
        loaded.errors.append(LoadError(path, None, _not_a_plan(path, data)))
        return
    loaded.documents.append((path, load_plan(data, text, path, include_unchanged)))


def _guarded(path: str, loaded: Loaded, load: Callable[[], None]) -> None:
    """A bug triggered by one input must not end the scan of the others."""
    try:
        load()
    except RecursionError:
        loaded.errors.append(LoadError(path, None, "input nested too deeply to read"))
    except Exception as exc:  # noqa: BLE001 - reported as an error entry; the scan continues
        missing = missing_package(exc)
        if missing:
            loaded.errors.append(LoadError(path, None, f"cannot read this input: {missing}"))
            return
        debug.internal_error(exc, f"while loading {path}")
        loaded.errors.append(LoadError(path, None, f"internal error while loading ({type(exc).__name__}); "
                                                   "please report it with --debug output"))


def _load_text(path: str, text: str, kind: str, loaded: Loaded, include_unchanged: bool) -> None:
    _guarded(path, loaded, lambda: _load_text_unguarded(path, text, kind, loaded, include_unchanged))


def _load_text_unguarded(path: str, text: str, kind: str, loaded: Loaded, include_unchanged: bool) -> None:
    if kind == "json":
        _load_json(path, text, loaded, include_unchanged)
        return
    if len(text) > MAX_TEXT_BYTES:
        loaded.errors.append(_too_large(path, len(text), MAX_TEXT_BYTES, "Terraform or Markdown input"))
        return
    if not text.strip() and path == "<stdin>":
        loaded.errors.append(LoadError(path, None, "no input: stdin was empty"))
        return
    sources = {path: text.splitlines()}
    chunks = extract_chunks(text, path) if kind == "markdown" else [Chunk(path, text)]
    loaded.documents.append((path, load_chunks(chunks, sources)))


def load_stdin(errors: list[LoadError]) -> str | None:
    """Standard input as text, at most :data:`MAX_PLAN_BYTES`; None (with an error) when it cannot be scanned."""
    raw = _read_stdin(MAX_PLAN_BYTES + 1)
    if raw is None:
        errors.append(LoadError("<stdin>", None, "stdin is closed; nothing to scan"))
        return None
    if len(raw) > MAX_PLAN_BYTES:
        errors.append(_too_large("<stdin>", None, MAX_PLAN_BYTES, "stdin"))
        return None
    return read_text("<stdin>", raw, errors)


def _read_stdin(limit: int) -> bytes | None:
    """At most ``limit`` bytes of stdin; None when there is no stdin (``<&-``) to read."""
    stream = sys.stdin
    if stream is None or stream.closed:
        return None
    try:
        if hasattr(stream, "buffer"):
            data: bytes = stream.buffer.read(limit)
            return data
        return stream.read(limit).encode("utf-8")
    except OSError:  # EBADF: the descriptor is closed under a live sys.stdin
        return None


def _kind_of(name: str, text: str) -> str:
    lower = name.lower()
    if lower.endswith(".tf.json"):
        return "tf.json"
    if lower.endswith(".tf"):
        return "hcl"
    if lower.endswith(".json"):
        return "json"
    if Path(lower).suffix in _MARKDOWN_EXT:
        return "markdown"
    return sniff(text)


def load_inputs(
    paths: list[str],
    stdin_text: str | None = None,
    include_unchanged: bool = False,
    cache: ModuleCache | None = None,
    processes: int | None = 1,
    texts: list[tuple[str, str]] | None = None,
    overlays: Mapping[str, str] | None = None,
    allow_empty: bool = False,
    var_files: list[str] | None = None,
    var_args: list[str] | None = None,
    recursive: bool = True,
) -> Loaded:
    """``cache`` reuses loaded .tf modules; ``processes`` loads them in parallel (None: choose).
    ``texts`` are (name, text) inputs that are not on disk, each a module of its own.
    ``overlays`` maps a file path to the text it is read as, whether or not the file exists: a
    ``.tf`` overlay in a scanned directory is part of that directory's module (an editor's unsaved
    buffer, a coding agent's proposed write), and of the modules that directory calls.
    ``allow_empty``: a directory without Terraform files is not an error. ``recursive=False``: a
    directory is its own module only, not the tree below it.

    ``var_files`` (``--var-file``) and ``var_args`` (``--var NAME=VALUE``) set input variables of
    every .tf directory scanned on its own (scanner/loaders/tfvars.py).
    """
    loaded = Loaded()
    overlay = Overlay(overlays)
    for name, text in texts or []:
        loaded.files += 1
        kind = _kind_of(name, text)
        first = len(loaded.documents)
        if kind == "tf.json":
            _guarded(name, loaded, functools.partial(_load_tf_json, name, text, loaded))
        else:
            _load_text(name, text, kind, loaded, include_unchanged)
        if name.lower().endswith(_TF_SUFFIXES):
            # a module file: its scope is its directory, as on disk, so fingerprints match a scan of the file
            scope = str(Path(name).parent)
            loaded.documents[first:] = [(scope, doc) for _, doc in loaded.documents[first:]]
    seen: set[str] = set()
    tf_dirs: dict[str, list[str]] = defaultdict(list)
    extra_vars = _read_var_files(var_files or [], loaded)
    walked_tfvars: set[str] = set()  # variables files a directory walk found (and vetted, links included)
    for raw in paths:
        if raw == STDIN:
            if stdin_text is not None and STDIN not in seen:
                seen.add(STDIN)
                loaded.files += 1
                _load_text("<stdin>", stdin_text, sniff(stdin_text), loaded, include_unchanged)
            continue
        path = Path(raw)
        overlaid = overlay.text(raw)
        if not path.exists() and overlaid is None and not overlay.under(raw):
            loaded.errors.append(LoadError(raw, None, _missing(path)))
            continue
        if path.is_dir() or (overlaid is None and not path.exists()):
            walk = walk_inputs(path, loaded.errors, recursive) if path.exists() else []
            walked_tfvars.update(f for f in walk if is_tfvars(f))  # a link out of `path` is not among them
            found = [f for f in walk if not is_tfvars(f)]
            found += overlay.added(raw, found, recursive)
            if not found and not allow_empty:
                loaded.errors.append(LoadError(raw, None, "directory holds no .tf or .tf.json files"))
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
        if path.name.endswith(_TF_SUFFIXES):
            tf_dirs[str(path.parent)].append(str(path))
            continue
        if overlaid is not None:
            loaded.files += 1
            _load_text(str(path), overlaid, _kind_of(path.name, overlaid), loaded, include_unchanged)
            continue
        if path.name.endswith(".tfvars"):
            loaded.errors.append(
                LoadError(raw, None, "a variables file (.tfvars) declares no resources; pass it with --var-file")
            )
            continue
        markdown = path.suffix.lower() in _MARKDOWN_EXT
        data = _read(str(path), loaded, MAX_TEXT_BYTES if markdown else MAX_PLAN_BYTES, explicit=True)
        if data is None:
            continue
        loaded.files += 1
        if data.startswith(b"PK\x03\x04"):
            loaded.errors.append(LoadError(str(path), None, "a binary file (a saved plan from `terraform plan -out`?); "
                                           "scan `terraform show -json FILE` instead"))
            continue
        text = read_text(str(path), data, loaded.errors)
        del data  # the text holds it now: a large plan is not kept in memory twice
        kind = "json" if path.suffix == ".json" else "markdown" if path.suffix.lower() in _MARKDOWN_EXT else sniff(text)
        _load_text(str(path), text, kind, loaded, include_unchanged)
    jobs = [
        _read_tf_dir(directory, sorted(tf_dirs[directory]), loaded, overlay, extra_vars, var_args or [], walked_tfvars)
        for directory in sorted(tf_dirs)
    ]
    first = len(loaded.documents)
    for directory, load in load_modules(jobs, cache, processes, progress.reporter("loading .tf modules")):
        _add_module(directory, load, loaded)
    _report_through_calls(loaded, first)
    return loaded


def _read_var_files(files: list[str], loaded: Loaded) -> list[tuple[str, str]]:
    out = []
    for f in files:
        data = _read(f, loaded, explicit=True)
        if data is not None:
            out.append((f, read_text(f, data, loaded.errors)))
    return out


def _report_through_calls(loaded: Loaded, first: int) -> None:
    """A module directory that another scanned directory calls is reported through its calls,
    at the addresses the callers give it, not again on its own (README.md). A directory only
    reached through a cycle of calls stays on its own, so nothing is lost."""
    docs = loaded.documents[first:]
    real = {id(doc): os.path.realpath(scope) for scope, doc in docs}
    callers: dict[str, set[str]] = defaultdict(set)
    for _, doc in docs:
        for called in doc.called:
            if called != real[id(doc)]:
                callers[called].add(real[id(doc)])
    scanned = set(real.values())
    uncalled = {d for d in scanned if not callers.get(d, set()) & scanned}
    reached: set[str] = set()
    for _, doc in docs:
        if real[id(doc)] in uncalled:
            reached.update(c for c in doc.called if c != real[id(doc)])
    kept = [(scope, doc) for scope, doc in docs if real[id(doc)] not in reached]
    # a called module's parse errors reach every caller's document: each is reported once
    seen: set[tuple[str, int | None, str]] = set()
    for _, doc in kept:
        unique = []
        for e in doc.errors:
            key = (os.path.realpath(e.file) if not e.file.startswith("<") else e.file, e.line, e.message)
            if key not in seen:
                seen.add(key)
                unique.append(e)
        doc.errors = unique
    loaded.documents[first:] = kept


class Overlay:
    """Texts that stand in for files (``overlays`` of :func:`load_inputs`), matched by real path."""

    def __init__(self, overlays: Mapping[str, str] | None) -> None:
        self._texts = {os.path.realpath(k): v for k, v in (overlays or {}).items()}

    def text(self, path: str) -> str | None:
        return self._texts.get(os.path.realpath(path)) if self._texts else None

    def texts(self) -> dict[str, str]:
        """Real path -> text: what a configuration's module reader reads instead of those files."""
        return dict(self._texts)

    def under(self, directory: str) -> bool:
        return bool(self.added(directory, []))

    def added(self, directory: str, found: list[str], recursive: bool = True) -> list[str]:
        """Overlaid Terraform files below ``directory`` (in it, not recursive) that are not in ``found``
        (they do not exist yet), named as ``directory`` is, so that they join its module; hidden
        directories are skipped as the walk does."""
        if not self._texts:
            return []
        root = os.path.realpath(directory)
        have = {os.path.realpath(f) for f in found}
        out = []
        for real in sorted(self._texts):
            rel = os.path.relpath(real, root)
            parts = Path(rel).parts
            if rel == os.pardir or rel.startswith(os.pardir + os.sep) or real in have or not real.endswith(TF_SUFFIXES):
                continue
            if any(p.startswith(".") or p == "node_modules" for p in parts[:-1]) or (len(parts) > 1 and not recursive):
                continue
            out.append(os.path.join(directory, rel))
        return out


def _missing(path: Path) -> str:
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "symbolic link loop"
        return "broken symbolic link (its target does not exist)"
    return "no such file or directory"


def _read(path: str, loaded: Loaded, limit: int = MAX_TEXT_BYTES, explicit: bool = False) -> bytes | None:
    """At most ``limit`` bytes. Found in a directory, only regular files: opening a FIFO blocks."""
    try:
        mode = os.stat(path).st_mode
        if not explicit and not stat.S_ISREG(mode):
            loaded.errors.append(LoadError(path, None, "not a regular file (a FIFO, socket or device); skipped"))
            return None
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)  # named pipes and devices too (`scan <(terraform show -json p)`)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            loaded.errors.append(LoadError(path, None, "symbolic link loop"))
        else:
            loaded.errors.append(LoadError(path, None, f"cannot read file: {exc.strerror or type(exc).__name__}"))
        return None
    if len(data) > limit:
        loaded.errors.append(_too_large(path, os.stat(path).st_size if stat.S_ISREG(mode) else None, limit, "file"))
        return None
    return data


def _read_tf_dir(
    directory: str,
    files: list[str],
    loaded: Loaded,
    overlay: Overlay,
    extra_vars: list[tuple[str, str]],
    var_args: list[str],
    walked_tfvars: set[str],
) -> ModuleJob:
    chunks: list[Chunk] = []
    sources: dict[str, list[str]] = {}
    var_files: list[tuple[str, str]] = []
    names = tfvars_in(directory)
    inside = os.path.realpath(directory)
    for name in auto_loaded(names):
        path = os.path.join(directory, name)
        if os.path.islink(path) and path not in walked_tfvars and not within(os.path.realpath(path), inside):
            # the walk of a scanned directory reported it already; a .tf file given by name has no walk
            if not any(e.file == path and e.message == OUTSIDE_LINK for e in loaded.errors):
                loaded.errors.append(LoadError(path, None, OUTSIDE_LINK))
            continue
        data = _read(path, loaded)
        if data is not None:
            loaded.files += 1
            var_files.append((path, read_text(path, data, loaded.errors)))
    for f in files:
        text = overlay.text(f)
        if text is None:
            data = _read(f, loaded)
            if data is None:
                continue
            text = read_text(f, data, loaded.errors)
        elif len(text) > MAX_TEXT_BYTES:
            loaded.errors.append(_too_large(f, len(text), MAX_TEXT_BYTES, "file"))
            continue
        loaded.files += 1
        text = native(f, text, loaded.line_maps, loaded.errors)
        if text is None:
            continue
        sources[f] = text.splitlines()
        chunks.append(Chunk(f, text))
    return ModuleJob(
        directory, chunks, sources, var_files + extra_vars, list(var_args), bool(names), overlay.texts()
    )


def _load_tf_json(path: str, text: str, loaded: Loaded) -> None:
    """A JSON file (or stdin) holding Terraform JSON configuration: a module of its own."""
    try:
        hcl, lines = to_hcl(text)
    except TfJsonError as exc:
        loaded.errors.append(LoadError(path, exc.line, f"Terraform JSON: {exc}"))
        return
    doc = load_chunks([Chunk(path, hcl)], {path: hcl.splitlines()})
    remap(doc, {path: lines})
    loaded.documents.append((path, doc))


def _add_module(directory: str, load: Callable[[], Document], loaded: Loaded) -> None:
    def add() -> None:
        doc = load()
        if loaded.line_maps:
            remap(doc, loaded.line_maps)
        loaded.documents.append((directory, doc))

    _guarded(directory, loaded, add)
