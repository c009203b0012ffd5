"""Reuse and parallelise the expensive part of an HCL scan: loading a module directory.

Parsing dominates an HCL scan (bench/README.md). A scanned directory is evaluated as the root of
a configuration (scanner/loaders/hcl.py), so the unit of reuse is the directory, not the file: its
loaded :class:`~scanner.model.resource.Document` (resources, load errors, secrets) is a function of
its files' paths and contents, the variables applied to it, the loader code, and what its
evaluation read elsewhere (the modules it calls, ``file()`` targets), which the document records
(``Document.depends``, scanner/loaders/deps.py).

* **Cache.** The key is a SHA-256 over the cache format, the nhi-guard version, the python-hcl2,
  Lark and Python versions, a fingerprint of nhi-guard's own source files (so an edited loader
  never reads stale entries), every file's path, line offset and text, and the variables files
  and ``--var`` values applied. Any change to one of them is a different key, so a changed file
  is always parsed again; an entry whose recorded dependencies changed since is a miss. An entry
  is JSON, never pickle, so a cache directory someone else could write to cannot run code. An
  entry that cannot be read, does not match its key or the SHA-256 of its body, or decodes to
  anything but the shape written (:func:`decode_document` checks every field's type) is ignored
  and replaced. Entries are written atomically, in a private (0700) directory: they hold what the ``.tf`` files hold,
  literal secrets included, so do not share a cache across trust boundaries.
* **Parallel loading.** Modules that miss the cache are loaded in worker processes when the
  work is large enough to pay for them (Linux ``fork`` only; elsewhere start-up costs more
  than it saves). Workers return the same JSON an entry holds, so both paths decode alike.
  Results come back in input order, so the report does not depend on scheduling.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import PACKAGE_DIR, __version__
from scanner.model.resource import Document, LoadError, Resource
from scanner.model.values import OpenList, OpenMap, OpenStr, PartialJson, Unknown, is_unknown

if TYPE_CHECKING:
    from scanner.loaders.hcl import Chunk

FORMAT = 3  # 2: the header holds the body's SHA-256; 3: documents record what they read
#: below this much source, worker processes cost more than they save (bench/README.md)
PARALLEL_MIN_BYTES = 256 * 1024
_TAG = "\x00"  # marks an encoded non-JSON value; a real key starting with NUL is escaped


@dataclass
class ModuleJob:
    """One module directory, read and ready to load as the root of a configuration."""

    directory: str
    chunks: list[Chunk]
    sources: dict[str, list[str]]
    #: (file, text) of the variables files applied, in order: auto-loaded ones, then --var-file
    var_files: list[tuple[str, str]] = field(default_factory=list)
    #: --var NAME=VALUE
    var_args: list[str] = field(default_factory=list)
    #: the directory holds a variables file (a sign of a root module)
    has_tfvars: bool = False
    #: real path -> text read instead of that file (scanner/loaders/inputs.py ``Overlay``), for
    #: the modules the directory calls
    overlays: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(c.text) for c in self.chunks)

    def load(self) -> Document:
        from scanner.loaders.hcl import load_root

        return load_root(
            self.directory, self.chunks, self.sources, self.var_files, self.var_args, self.has_tfvars, self.overlays
        )


def default_dir() -> Path:
    """``$NHI_GUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/nhi-guard``, else ``~/.cache/nhi-guard``."""
    explicit = os.environ.get("NHI_GUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nhi-guard"


# --- encoding -------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, OpenMap | OpenList | OpenStr):  # before str, dict and list: they are those too
        return {_TAG: "o", "v": _encode(_plain(value))}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        if any(not isinstance(k, str) or k.startswith(_TAG) for k in value):
            return {_TAG: "d", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if is_unknown(value) and not isinstance(value, PartialJson):  # Invalid too: rules see an unknown
        return {_TAG: "u", "s": value.source}
    if isinstance(value, PartialJson):
        return {_TAG: "p", "s": value.source, "v": _encode(value.value)}
    if isinstance(value, tuple):
        return {_TAG: "t", "v": [_encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {_TAG: "S", "v": [_encode(v) for v in value]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


_OPEN: tuple[tuple[Any, Any], ...] = ((OpenMap, dict), (OpenList, list), (OpenStr, str))


def _plain(value: Any) -> Any:
    return next(plain(value) for open_type, plain in _OPEN if isinstance(value, open_type))


def _opened(value: Any) -> Any:
    return next(open_type(value) for open_type, plain in _OPEN if isinstance(value, plain))


class CorruptEntry(ValueError):
    """An entry that is valid JSON but not what :func:`encode_document` writes."""


def _decode_tagged(obj: dict[str, Any]) -> Any:
    tag = obj.get(_TAG)
    if tag is None:
        return obj
    source, value = obj.get("s"), obj.get("v")
    if tag == "u" and isinstance(source, str) and set(obj) == {_TAG, "s"}:
        return Unknown(source)
    if tag == "p" and isinstance(source, str) and set(obj) == {_TAG, "s", "v"}:
        return PartialJson(value, source)
    if tag == "o" and isinstance(value, dict | list | str) and set(obj) == {_TAG, "v"}:
        return _opened(value)
    if isinstance(value, list) and set(obj) == {_TAG, "v"}:
        if tag == "t":
            return tuple(value)
        if tag == "S" and all(isinstance(v, str | int | float | bool | None) for v in value):
            return set(value)
        if tag == "d" and all(isinstance(kv, list) and len(kv) == 2 and _hashable(kv[0]) for kv in value):
            return dict(value)
    raise CorruptEntry(f"not a cache value: tag {tag!r}")


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | tuple | Unknown)


#: what each field of a cached Resource must be; the model's code relies on it (a comment that is
#: not text made the waiver code raise TypeError)
_FIELD_CHECKS: dict[str, Any] = {
    "address": lambda v: isinstance(v, str),
    "mode": lambda v: isinstance(v, str),
    "type": lambda v: isinstance(v, str),
    "name": lambda v: isinstance(v, str),
    "file": lambda v: isinstance(v, str),
    "module": lambda v: isinstance(v, str),
    "provider": lambda v: isinstance(v, str),
    "action": lambda v: isinstance(v, str),
    "line": lambda v: _int(v),
    "attrs": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    "before": lambda v: v is None or (isinstance(v, dict) and all(isinstance(k, str) for k in v)),
    "lines": lambda v: isinstance(v, dict) and all(isinstance(k, str) and _int(n) for k, n in v.items()),
    "refs": lambda v: isinstance(v, dict)
    and all(isinstance(k, str) and isinstance(r, list) and all(isinstance(a, str) for a in r) for k, r in v.items()),
    "comments": lambda v: isinstance(v, list)
    and all(isinstance(c, tuple) and len(c) == 2 and _int(c[0]) and isinstance(c[1], str) for c in v),
    "sensitive_paths": lambda v: isinstance(v, set) and all(isinstance(p, str) for p in v),
    "has_config": lambda v: isinstance(v, bool),
    "context_only": lambda v: isinstance(v, bool),
    "instance_refs": lambda v: v is None
    or (isinstance(v, dict)
        and all(isinstance(k, str) and isinstance(r, list) and all(_pair(p) for p in r) for k, r in v.items())),
    "origins": lambda v: isinstance(v, dict)
    and all(isinstance(k, str) and isinstance(o, list) and all(_origin(t) for t in o) for k, o in v.items()),
}


def _origin(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str) and _int(value[1]) \
        and isinstance(value[2], str)


def _pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _resource(raw: Any) -> Resource:
    if not isinstance(raw, dict) or set(raw) != {f.name for f in fields(Resource)}:
        raise CorruptEntry("not a cached resource")
    for name, value in raw.items():
        check = _FIELD_CHECKS.get(name)
        if check is None or not check(value):
            raise CorruptEntry(f"cached resource field {name} has the wrong type")
    return Resource(**raw)


def _error(raw: Any) -> LoadError:
    if not (isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str) and isinstance(raw[2], str)):
        raise CorruptEntry("not a cached load error")
    if raw[1] is not None and not _int(raw[1]):
        raise CorruptEntry("not a cached load error")
    return LoadError(raw[0], raw[1], raw[2])


def encode_document(doc: Document) -> str:
    """JSON text for a document; ``TypeError`` when it holds a value JSON cannot carry."""
    payload = {
        "resources": [{f.name: _encode(getattr(r, f.name)) for f in fields(Resource)} for r in doc.resources],
        "errors": [[e.file, e.line, e.message] for e in doc.errors],
        "secrets": sorted(doc.secrets),
        "depends": doc.depends,
        "called": doc.called,
    }
    return json.dumps(payload, separators=(",", ":"), allow_nan=True)


def decode_document(text: str) -> Document:
    """The document :func:`encode_document` wrote; :class:`CorruptEntry` (a ``ValueError``) for
    anything else, whether it does not parse or parses to the wrong shape."""
    data = json.loads(text, object_hook=_decode_tagged)
    if not isinstance(data, dict) or set(data) != {"resources", "errors", "secrets", "depends", "called"}:
        raise CorruptEntry("not a cached document")
    resources, errors, secrets = data["resources"], data["errors"], data["secrets"]
    depends, called = data["depends"], data["called"]
    if not (isinstance(resources, list) and isinstance(errors, list) and isinstance(secrets, list)):
        raise CorruptEntry("not a cached document")
    if not all(isinstance(s, str) for s in secrets):
        raise CorruptEntry("cached secrets are not text")
    if not (isinstance(depends, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in depends.items())):
        raise CorruptEntry("cached dependencies are not text")
    if not (isinstance(called, list) and all(isinstance(c, str) for c in called)):
        raise CorruptEntry("cached module directories are not text")
    return Document(resources=[_resource(r) for r in resources], errors=[_error(e) for e in errors],
                    secrets=set(secrets), depends=depends, called=called)  # fmt: skip


# --- the cache ------------------------------------------------------------------------------


def _code_fingerprint() -> str:
    """Hash of nhi-guard's own source: an edited loader must not read entries an older one wrote."""
    digest = hashlib.sha256()
    root = PACKAGE_DIR
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"format={FORMAT}", f"nhi-guard={__version__}", f"python={sys.version_info[:2]}"]
    for dist in ("python-hcl2", "lark"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    return ";".join(parts)


class ModuleCache:
    """Loaded modules on disk, one JSON file per content key."""

    def __init__(self, directory: Path | str, salt: str | None = None) -> None:
        self.directory = Path(directory)
        # ``salt`` replaces the version and code fingerprint (tests use it to simulate an upgrade)
        self.salt = salt if salt is not None else f"{_versions()};code={_code_fingerprint()}"
        self.hits = 0
        self.misses = 0

    def key(self, chunks: list[Chunk], job: ModuleJob | None = None) -> str:
        """Over the module's files and, for a directory, the variables applied to it. What its
        evaluation reads besides (called modules, ``file()``) is checked on :meth:`get`."""
        digest = hashlib.sha256(self.salt.encode())
        parts: list[str] = []
        for c in chunks:
            parts += [c.file, str(c.line_offset), c.text]
        if job is not None:
            parts += ["vars", str(job.has_tfvars), str(len(job.var_files))]
            for file, text in job.var_files:
                parts += [file, text]
            parts += job.var_args
            for real in sorted(job.overlays):
                parts += ["overlay", real, job.overlays[real]]
        for part in parts:
            raw = part.encode("utf-8", "surrogatepass")
            digest.update(len(raw).to_bytes(8, "big"))
            digest.update(raw)
        return digest.hexdigest()

    def _path(self, key: str, kind: str = "") -> Path:
        return self.directory / f"{kind}v{FORMAT}" / key[:2] / f"{key}.json"

    def get(self, key: str) -> Document | None:
        """The cached document, or None when absent, unreadable, corrupt, for another key, or when
        a file its evaluation read has changed since (scanner/loaders/deps.py)."""
        from scanner.loaders.deps import still_valid

        body = self.get_text("", key)
        if body is None:
            return None
        try:
            doc = decode_document(body)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None
        if not still_valid(doc.depends):
            return None
        self.hits += 1
        return doc

    def put(self, key: str, encoded: str) -> None:
        """Store an encoded document; a cache that cannot be written is skipped silently."""
        self.put_text("", key, encoded)

    def _trusted(self, path: Path) -> bool:
        """``path`` and the directories holding it, up to the cache directory, are this user's alone.

        A key is computed from public inputs, so anyone who can write into the cache can plant
        the entry for it: a report with no findings, a module with no resources. On POSIX every
        level must be owned by this user and writable by nobody else, and nothing below the
        cache directory may be a symbolic link. (Windows: the user profile's ACLs protect it.)
        """
        if not hasattr(os, "geteuid"):
            return True
        uid = os.geteuid()
        try:
            levels = [(path, os.lstat(path))]
            for parent in path.parents:
                if parent == self.directory:
                    levels.append((parent, os.stat(parent)))  # the directory itself may be a link the user made
                    break
                levels.append((parent, os.lstat(parent)))
            else:
                return False
        except OSError:
            return False
        return all(
            st.st_uid == uid and not st.st_mode & 0o022 and (level == self.directory or not stat.S_ISLNK(st.st_mode))
            for level, st in levels
        )

    def get_text(self, kind: str, key: str) -> str | None:
        """The text stored under ``key`` among entries of ``kind``; None when absent, not for that key,
        or in a place someone else could have written (:meth:`_trusted`)."""
        path = self._path(key, kind)
        if not self._trusted(path):
            return None
        try:
            text = path.read_text(encoding="utf-8")
            header, _, body = text.partition("\n")
            if json.loads(header) != _header(key, body):  # a changed byte anywhere: a miss
                return None
        except (OSError, ValueError, RecursionError):
            return None
        return body

    def put_text(self, kind: str, key: str, text: str) -> None:
        path = self._path(key, kind)
        try:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            for d in (self.directory, path.parent.parent, path.parent):  # private: entries hold secrets
                d.mkdir(mode=0o700, exist_ok=True)
            if not self._trusted(path.parent):
                return  # an entry written here could not be trusted when read back
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(_header(key, text)) + "\n" + text)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return


def _header(key: str, body: str) -> dict[str, Any]:
    """An entry's first line. The body's hash makes a truncated or corrupted entry a miss even where
    what is left still decodes: a flipped digit in a line number, a cut in a string."""
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
    return {"format": FORMAT, "key": key, "sha256": digest}


# --- loading --------------------------------------------------------------------------------


def _load_encoded(job: ModuleJob) -> tuple[str, Any]:
    """Load one module; JSON when it can be encoded, else the document itself."""
    doc = job.load()
    try:
        return "json", encode_document(doc)
    except (TypeError, ValueError, RecursionError):  # a value JSON cannot carry, or nested too deep
        return "doc", doc


def _worker_init() -> None:
    import gc

    # A worker builds parse trees and drops them: few cycles, so collection passes are mostly waste.
    gc.set_threshold(100_000, 50, 100)


def _pool_size(jobs: list[ModuleJob], requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if not sys.platform.startswith("linux") or len(jobs) < 2:
        return 1
    if sum(j.size for j in jobs) < PARALLEL_MIN_BYTES:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, len(jobs))


def load_modules(
    jobs: list[ModuleJob],
    cache: ModuleCache | None = None,
    processes: int | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[str, Callable[[], Document]]]:
    """Yield ``(directory, load)`` in input order; ``load()`` returns the document or raises.

    ``processes``: None chooses (all cores for large work on Linux, else 1); 1 loads here.
    ``on_done(done, total)`` is called as modules are handed out (for a progress indicator).
    Without a cache and without workers this is exactly ``job.load()`` per module.
    """
    keys: dict[int, str] = {}
    hits: dict[int, Document] = {}
    todo: list[int] = []
    for i, job in enumerate(jobs):
        if cache is not None:
            keys[i] = cache.key(job.chunks, job)
            hit = cache.get(keys[i])
            if hit is not None:
                hits[i] = hit
                continue
            cache.misses += 1
        todo.append(i)
    pool = None
    futures: dict[int, Any] = {}
    size = _pool_size([jobs[i] for i in todo], processes)
    if size > 1 and sys.platform.startswith("linux"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init)
            # largest first, so one big module does not finish last on its own
            for i in sorted(todo, key=lambda i: -jobs[i].size):
                futures[i] = pool.submit(_load_encoded, jobs[i])
        except (OSError, ValueError, RuntimeError):  # no processes here (sandbox, limits): load inline
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            pool, futures = None, {}
    try:
        for i, job in enumerate(jobs):
            if i in hits:
                yield job.directory, _ready(hits.pop(i))
            else:
                yield job.directory, _loader(job, futures.get(i), cache, keys.get(i))
            if on_done is not None:
                on_done(i + 1, len(jobs))
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _ready(doc: Document) -> Callable[[], Document]:
    return lambda: doc


def _loader(job: ModuleJob, future: Any, cache: ModuleCache | None, key: str | None) -> Callable[[], Document]:
    def load() -> Document:
        kind: str = ""
        value: Any = None
        if future is not None:
            try:
                kind, value = future.result()
            except Exception:  # noqa: BLE001 - a worker failed or died: load here, where errors are reported as usual
                kind = ""
        if not kind:
            if cache is None:
                return job.load()
            kind, value = _load_encoded(job)
        if kind == "doc":
            return value
        try:
            doc = decode_document(value)
        except (ValueError, TypeError, RecursionError):
            return job.load()
        if cache is not None and key is not None:
            cache.put(key, value)
        return doc

    return load
