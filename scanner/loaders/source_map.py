"""Point plan findings at the ``.tf`` lines that declare them (``nhi-guard scan plan.json --source-dir infra/``).

A plan names every object by its full address: ``module.a["x"].module.b.aws_iam_role.r[0]``.
Each module call step is resolved to a directory, starting at the root module directory
(``--source-dir``): the call's ``source`` comes from the plan's ``configuration`` (each
``module_calls.<name>.source``), else from the ``module`` block in the calling module's
``.tf`` files. A local source (``./`` or ``../``) is a directory relative to the caller. The
declaration is then looked up in that directory by mode, type and name; every ``count`` and
``for_each`` instance of a block (and of a module call) points at that one block.

* ``module.a`` and ``module.b`` are never confused: each resolves through its own call.
* A module from the registry or git has no source in the repository: its objects point at
  the ``module "x"`` block that calls it, which is in the repository.
* Nothing found: the object keeps its plan location.

Matched objects take the block's file and line, and its attribute lines, so a finding on
``assume_role_policy`` points at that attribute. They also take the block's suppression
comments, so an inline ``# nhi-guard:ignore`` in the block waives the plan's findings on every
instance of that block, as it does in a scan of the ``.tf`` files (scanner/policy/waivers.py); a
``module`` call block, where a registry module's objects point, lends no comments. Fingerprints
do not change: they hold the plan file, never a location.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from scanner.loaders.discover import MAX_TEXT_BYTES
from scanner.loaders.hcl import Chunk, declarations
from scanner.loaders.hcl_parse import parse_text
from scanner.loaders.tf_json import native, remap
from scanner.model.resource import Document, Resource

_LOCAL_SOURCE = re.compile(r"^\.\.?[\\/]")
_SOURCE_ATTR = re.compile(r'(?:^|[{;\s])source\s*=\s*"([^"]*)"', re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][\w-]*")


def module_names(module_address: str) -> tuple[str, ...] | None:
    """``module.a["x.y"].module.b[0]`` -> ``("a", "b")``; None when it is not a module address.

    Instance keys are skipped as written, so a ``for_each`` key holding ``.``, ``]`` or ``"``
    cannot split the path.
    """
    names: list[str] = []
    i, n = 0, len(module_address)
    while i < n:
        if not module_address.startswith("module.", i):
            return None
        m = _NAME.match(module_address, i + 7)
        if m is None:
            return None
        names.append(m.group())
        i = m.end()
        if i < n and module_address[i] == "[":
            i = _skip_index(module_address, i)
            if i < 0:
                return None
        if i < n:
            if module_address[i] != ".":
                return None
            i += 1
    return tuple(names)


def _skip_index(text: str, i: int) -> int:
    """Position after the ``[...]`` at ``i`` (quoted keys may hold ``]``), or -1."""
    j = i + 1
    if j < len(text) and text[j] == '"':
        j += 1
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        j += 1
    end = text.find("]", j)
    return -1 if end < 0 else end + 1


def local_address(res: Resource) -> str:
    """The address inside its module, without instance key: how the block is declared."""
    if res.mode == "managed":
        return f"{res.type}.{res.name}"
    if res.mode == "data":
        return f"data.{res.type}.{res.name}"
    if res.module and res.address.startswith(res.module + "."):
        return res.address[len(res.module) + 1 :]
    return res.address


@dataclass
class _Call:
    source: str | None
    file: str
    line: int


@dataclass
class _Module:
    """The declarations of one directory."""

    blocks: dict[str, Resource] = field(default_factory=dict)
    calls: dict[str, _Call] = field(default_factory=dict)


@dataclass
class Location:
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)
    #: the block's ``# nhi-guard:`` / ``checkov:skip`` comments (line, text); none for a module call
    comments: list[tuple[int, str]] = field(default_factory=list)


class SourceMap:
    """Declarations under one root module directory, loaded on demand, one directory at a time."""

    def __init__(self, root: str) -> None:
        self.root = os.path.normpath(root)
        self._modules: dict[str, _Module | None] = {}

    def module(self, directory: str) -> _Module | None:
        if directory not in self._modules:
            self._modules[directory] = _load(directory)
        return self._modules[directory]

    def locate(self, res: Resource, plan_calls: dict[str, str]) -> Location | None:
        names = module_names(res.module) if res.module else ()
        if names is None:
            return None
        directory = self.root
        for depth, name in enumerate(names):
            here = self.module(directory)
            if here is None:
                return None
            call = here.calls.get(name)
            path = ".".join(f"module.{n}" for n in names[: depth + 1])
            source = plan_calls.get(path) or (call.source if call else None)
            child = _local_dir(directory, source)
            if child is None or self.module(child) is None:
                # a registry or git module (or one not checked out): point at the call
                return Location(call.file, call.line) if call else None
            directory = child
        here = self.module(directory)
        block = here.blocks.get(local_address(res)) if here else None
        if block is None:
            return None
        return Location(block.file, block.line, dict(block.lines), list(block.comments))


def _local_dir(parent: str, source: str | None) -> str | None:
    if not source or not _LOCAL_SOURCE.match(source):
        return None
    return os.path.normpath(os.path.join(parent, source))


def _load(directory: str) -> _Module | None:
    """Every ``.tf`` / ``.tf.json`` file directly in ``directory``; None when there is none."""
    try:
        files = sorted(
            str(p) for p in Path(directory).iterdir() if p.name.endswith((".tf", ".tf.json")) and p.is_file()
        )
    except OSError:
        return None
    if not files:
        return None
    out = _Module()
    chunks: list[Chunk] = []
    sources: dict[str, list[str]] = {}
    maps: dict[str, list[int]] = {}
    for f in files:
        text = _text(f)
        if text is not None:
            text = native(f, text, maps, [])
        if text is None:
            continue
        sources[f] = text.splitlines()
        chunks.append(Chunk(f, text))
    doc = Document(resources=declarations(chunks, sources))
    remap(doc, maps)
    for res in doc.resources:
        out.blocks.setdefault(res.config_address, res)
    for f in files:
        if f.endswith(".tf"):
            out.calls.update(_calls(f))
    return out


def _text(file: str) -> str | None:
    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_TEXT_BYTES:
        return None
    return data.decode("utf-8", "replace")


def _calls(file: str) -> dict[str, _Call]:
    """``module "name" { source = "..." }`` blocks of one file. Terraform requires a literal source."""
    text = _text(file)
    if text is None or "module" not in text:
        return {}
    blocks, _ = parse_text(text, file)
    lines = text.splitlines()
    out: dict[str, _Call] = {}
    for b in blocks:
        if b.kind != "module" or not b.labels:
            continue
        body = "\n".join(lines[b.line - 1 : b.end_line])
        m = _SOURCE_ATTR.search(body, body.find("{") + 1)
        out.setdefault(b.labels[0], _Call(m.group(1) if m else None, file, b.line))
    return out


def attach_sources(documents: list[tuple[str, Document]], source_dir: str) -> int:
    """Give every plan object that has a declaration under ``source_dir`` its file, lines and
    suppression comments.

    Returns how many objects were matched. Other inputs are left alone.
    """
    sources = SourceMap(source_dir)
    matched = 0
    for _, doc in documents:
        if doc.plan_modules is None:
            continue
        for res in doc.resources:
            loc = sources.locate(res, doc.plan_modules)
            if loc is None:
                continue
            res.file, res.line, res.lines, res.comments = loc.file, loc.line, loc.lines, loc.comments
            matched += 1
    return matched
