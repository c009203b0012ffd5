"""Read what a root module's evaluation needs from disk: called modules and ``file()`` targets.

* **Module sources.** A local source (``./x``, ``../x``) is a directory relative to the calling
  module, as in Terraform. Any other source (registry, git, archives) is looked up, by its call
  path (``vpc.subnets``), in ``.terraform/modules/modules.json``, which ``terraform init`` writes
  in the root module directory. Without it, a remote module is not expanded and its outputs are
  unknown.
* **Files.** ``file()`` and ``templatefile()`` read a path relative to the root module directory
  (Terraform's working directory). Only regular files inside the root module directory or the
  calling module's directory are read, at most ``MAX_TEXT_BYTES``: scanned code must not make
  nhi-guard read ``~/.aws/credentials`` (docs/security.md). Anything else is unknown.

Everything read is recorded in ``depends`` (scanner/loaders/deps.py), so that cached results
are reused only while it is unchanged.
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any

from scanner.loaders import deps
from scanner.loaders.discover import MAX_TEXT_BYTES, OUTSIDE_LINK, TF_SUFFIXES, within
from scanner.loaders.hcl_config import ModuleConfig
from scanner.loaders.hcl_parse import RawBlock, parse_text
from scanner.loaders.tf_json import native
from scanner.model.resource import LoadError
from scanner.model.values import Unknown, is_unknown

_LOCAL_SOURCE = re.compile(r"^\.\.?[\\/]")
MANIFEST = os.path.join(".terraform", "modules", "modules.json")


def is_local(source: str | None) -> bool:
    return bool(source) and bool(_LOCAL_SOURCE.match(source or ""))


class ModuleReader:
    """Module directories and files for one root module, each read once."""

    def __init__(self, root_dir: str, overlays: dict[str, str] | None = None) -> None:
        self.root_dir = root_dir
        #: real path -> text that stands in for that file (an editor's buffer, an agent's write)
        self.overlays = overlays or {}
        self.depends: dict[str, str] = {}
        self.errors: list[LoadError] = []
        #: .tf.json files read: generated HCL line -> JSON line (scanner/loaders/tf_json.py)
        self.line_maps: dict[str, list[int]] = {}
        #: real paths of the local module directories expanded
        self.local_dirs: set[str] = set()
        self._configs: dict[str, ModuleConfig | None] = {}
        self._manifest: dict[str, str] | None = None

    # --- module sources ------------------------------------------------------
    def source_dir(self, caller_dir: str, names: tuple[str, ...], source: str | None) -> str | None:
        """The directory a call's module lives in; None when it is not on disk."""
        if is_local(source):
            assert source is not None
            directory = os.path.normpath(os.path.join(caller_dir, source))
            self.local_dirs.add(os.path.realpath(directory))
            return directory
        found = self._modules().get(".".join(names))
        return os.path.normpath(os.path.join(self.root_dir, found)) if found is not None else None

    def _modules(self) -> dict[str, str]:
        """``modules.json``: call path (``a.b``) -> directory relative to the root module."""
        if self._manifest is not None:
            return self._manifest
        self._manifest = {}
        path = os.path.join(self.root_dir, MANIFEST)
        text = self._read(path)
        if not isinstance(text, str):
            return self._manifest
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            self.errors.append(LoadError(path, None, "not valid JSON; remote modules were not expanded"))
            return self._manifest
        entries = data.get("Modules") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("Key"), str) and isinstance(entry.get("Dir"), str):
                self._manifest[entry["Key"]] = entry["Dir"]
        return self._manifest

    # --- module directories --------------------------------------------------
    def config(self, directory: str) -> ModuleConfig | None:
        """The module in ``directory``; None when it holds no Terraform file."""
        if directory not in self._configs:
            self._configs[directory] = self._load(directory)
        return self._configs[directory]

    def _load(self, directory: str) -> ModuleConfig | None:
        self.depends[f"dir:{directory}"] = deps.listing_digest(directory)
        real = os.path.realpath(directory)
        added = {os.path.basename(p) for p in self.overlays if os.path.dirname(p) == real and p.endswith(TF_SUFFIXES)}
        try:
            names = sorted({n for n in os.listdir(directory) if n.endswith(TF_SUFFIXES)} | added)
        except OSError:
            if not added:
                return None
            names = sorted(added)
        blocks: list[RawBlock] = []
        sources: dict[str, list[str]] = {}
        inside = os.path.realpath(directory)
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) and not within(os.path.realpath(path), inside):
                self.errors.append(LoadError(path, None, OUTSIDE_LINK))  # as the scan's own walk does
                continue
            text = self._read(path)
            if not isinstance(text, str):
                if is_unknown(text):
                    self.errors.append(LoadError(path, None, f"cannot read module file: {text.source}"))
                continue
            text = native(path, text, self.line_maps, self.errors)
            if text is None:
                continue
            parsed, errors = parse_text(text, path)
            blocks.extend(parsed)
            self.errors.extend(errors)
            sources[path] = text.splitlines()
        if not sources:
            return None
        config = ModuleConfig(blocks, sources, directory)
        self.errors.extend(config.errors)
        return config

    # --- files ---------------------------------------------------------------
    def read_file(self, path: str, module_dir: str) -> Any:
        """``file(path)``: the text; None when there is no such file; Unknown when not read."""
        full = path if os.path.isabs(path) else os.path.join(self.root_dir, path)
        real = os.path.realpath(full)
        if not any(within(real, os.path.realpath(d)) for d in (self.root_dir, module_dir)):
            return Unknown("a file outside the module")
        return self._read(os.path.normpath(full))

    def _read(self, path: str) -> Any:
        """A regular file's text, recorded as a dependency; None when absent."""
        overlaid = self.overlays.get(os.path.realpath(path)) if self.overlays else None
        if overlaid is not None:
            return overlaid if len(overlaid) <= MAX_TEXT_BYTES else Unknown("larger than the size limit")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self.depends[f"file:{path}"] = deps.ABSENT
            return None
        except OSError as exc:
            self.depends[f"file:{path}"] = deps.UNREADABLE
            return Unknown(exc.strerror or "unreadable")
        if not stat.S_ISREG(st.st_mode):
            self.depends[f"file:{path}"] = deps.UNREADABLE
            return Unknown("not a regular file")
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_TEXT_BYTES + 1)
        except OSError as exc:
            self.depends[f"file:{path}"] = deps.UNREADABLE
            return Unknown(exc.strerror or "unreadable")
        self.depends[f"file:{path}"] = deps.digest_bytes(data)
        if len(data) > MAX_TEXT_BYTES:
            return Unknown("larger than the size limit")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return Unknown("not UTF-8")
