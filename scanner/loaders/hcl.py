"""Assemble parsed HCL blocks of one Terraform module into resources."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree

from scanner.loaders.derived import RENDERED as _RENDERED
from scanner.loaders.derived import apply_provider_defaults as _apply_provider_defaults
from scanner.loaders.derived import encode as _encode
from scanner.loaders.hcl_eval import MAX_DEPTH, Evaluator, _children
from scanner.loaders.hcl_parse import LazyBlock, RawBlock, parse_text
from scanner.model.marks import collect as collect_marked
from scanner.model.marks import mark
from scanner.model.resource import Document, LoadError, Resource
from scanner.model.values import Unknown
from scanner.policy.redact import collect_strings, is_credential_attr
from scanner.policy.waivers import marker_comments
from scanner.util.gc_pace import fewer_collections

_META_ARGS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}


@dataclass
class Evaluated:
    attrs: dict[str, Any]
    lines: dict[str, int]
    refs: dict[str, list[str]]
    all_refs: list[str] = field(default_factory=list)


@dataclass
class Chunk:
    """A piece of HCL source: a whole .tf file or one Markdown code block."""

    file: str
    text: str
    line_offset: int = 0


class Module:
    """One Terraform module: every block of every file in one directory."""

    def __init__(self, blocks: list[RawBlock], sources: dict[str, list[str]]) -> None:
        self.sources = sources
        self.errors: list[LoadError] = []
        self.variables: dict[str, RawBlock] = {}
        self.locals: dict[str, tuple[Tree, RawBlock]] = {}
        self._local_lines: dict[str, int] = {}
        self.blocks: dict[tuple[str, str, str], RawBlock] = {}
        self.providers: list[RawBlock] = []
        self.outputs: list[RawBlock] = []
        for b in blocks:
            if b.kind == "variable" and b.labels:
                self.variables[b.labels[0]] = b
            elif b.kind == "locals":
                for attr in _children(b.body):
                    if attr.data == "attribute":
                        self.locals[_attr_name(attr)] = (_children(attr)[-1], b)
                        self._local_lines[_attr_name(attr)] = attr.meta.line + b.line_offset
            elif b.kind in ("resource", "data") and len(b.labels) >= 2:
                key = (b.kind, b.labels[0], b.labels[1])
                if key in self.blocks:
                    first = self.blocks[key]
                    self.errors.append(LoadError(b.file, b.line, f"duplicate {b.kind} \"{key[1]}\" \"{key[2]}\" "
                                                 f"(first defined at {first.file}:{first.line}); the first one "
                                                 "was scanned"))
                    continue
                self.blocks[key] = b
            elif b.kind == "provider" and b.labels:
                self.providers.append(b)
            elif b.kind == "output" and b.labels:
                self.outputs.append(b)
        self._cache: dict[Any, tuple[Any, list[str]]] = {}
        self._busy: set[Any] = set()
        self._collect: list[list[str]] = []
        self.evaluator = Evaluator(self, _parse_expr)

    # --- reference resolution (the Resolver protocol) -----------------------
    def _record(self, address: str) -> None:
        for bucket in self._collect:
            bucket.append(address)

    def _memo(self, key: Any, compute: Any) -> Any:
        if key in self._cache:
            value, refs = self._cache[key]
            for r in refs:
                self._record(r)
            return value
        if key in self._busy:
            return Unknown("cycle")
        self._busy.add(key)
        self._collect.append([])
        try:
            value = compute()
        finally:
            refs = self._collect.pop()
            self._busy.discard(key)
        self._cache[key] = (value, refs)
        for r in refs:
            self._record(r)
        return value

    def resolve(self, path: list[Any], source: str) -> Any:
        head = path[0]
        if head == "var" and len(path) >= 2:
            value = self._memo(("var", path[1]), lambda: self._variable(str(path[1])))
            return _descend(value, path[2:], source)
        if head == "local" and len(path) >= 2:
            entry = self.locals.get(str(path[1]))
            if entry is None:
                return Unknown(source)
            value = self._memo(("local", path[1]), lambda: self._local(str(path[1]), entry[0], entry[1]))
            return _descend(value, path[2:], source)
        if head == "data" and len(path) >= 3:
            key = ("data", str(path[1]), str(path[2]))
            self._record(f"data.{path[1]}.{path[2]}")
            if len(path) >= 4:
                self._record(f"data.{path[1]}.{path[2]}.{path[3]}")
            block = self.blocks.get(key)
            if block is None:
                return Unknown(source)
            rendered = _RENDERED.get(str(path[1]))
            if rendered is not None and len(path) >= 4 and path[3] == rendered[0]:
                attr, renderer = rendered
                return self._memo(
                    (*key, attr), lambda: _encode(renderer(self.evaluate(block).attrs), str(path[1]))
                )
            return Unknown(source)
        if head in ("each", "count", "self", "path", "terraform", "module", "ephemeral"):
            if head == "module" and len(path) >= 2:
                self._record(f"module.{path[1]}")
            return Unknown(source)
        if len(path) >= 2:
            key = ("resource", str(head), str(path[1]))
            block = self.blocks.get(key)
            self._record(f"{head}.{path[1]}")
            # `x.r[0].attr` references `x.r.attr`: refs carry no (numeric) instance keys.
            attr_at = 3 if len(path) >= 4 and isinstance(path[2], int) else 2
            if len(path) > attr_at and not isinstance(path[attr_at], int):
                self._record(f"{head}.{path[1]}.{path[attr_at]}")
            if block is None:
                return Unknown(source)
            if len(path) >= 3 and not _has_attr(block, "count") and not _has_attr(block, "for_each"):
                attrs = self.evaluate(block).attrs
                value = attrs.get(str(path[2]))
                if value is not None and not isinstance(value, Unknown) and str(path[2]) != "id":
                    if is_credential_attr(str(head), str(path[2])):  # what is computed from it is secret too
                        value = mark(value)
                    return _descend(value, path[3:], source)
            return Unknown(source)
        return Unknown(source)

    def _local(self, name: str, expr: Tree, block: RawBlock) -> Any:
        with self.evaluator.at(block.file, self._local_lines.get(name)):
            return self.evaluator.eval(expr)

    def _variable(self, name: str) -> Any:
        block = self.variables.get(name)
        if block is None:
            return Unknown(f"var.{name}")
        for attr in _children(block.body):
            if attr.data == "attribute" and _attr_name(attr) == "default":
                with self.evaluator.at(block.file, attr.meta.line + block.line_offset):
                    value = self.evaluator.eval(_children(attr)[-1])
                if value is None:
                    return Unknown(f"var.{name}")
                return mark(value) if self._declared_sensitive(block) else value
        return Unknown(f"var.{name}")

    def _declared_sensitive(self, block: RawBlock) -> bool:
        """``sensitive = true``: its value, and whatever is computed from it, is secret."""
        for attr in _children(block.body):
            if attr.data == "attribute" and _attr_name(attr) == "sensitive":
                return self.evaluator.eval(_children(attr)[-1]) is True
        return False

    def sensitive_values(self) -> set[str]:
        """Defaults of ``sensitive = true`` variables: masked wherever they end up (tags too)."""
        out: set[str] = set()
        for name, block in self.variables.items():
            for attr in _children(block.body):
                if (
                    attr.data == "attribute"
                    and _attr_name(attr) == "sensitive"
                    and self.evaluator.eval(_children(attr)[-1]) is True
                ):
                    collect_strings(self.resolve(["var", name], f"var.{name}"), out)
        return out

    # --- block evaluation ---------------------------------------------------
    def evaluate(self, block: RawBlock) -> Evaluated:
        key = ("block", id(block))
        cached = self._cache.get(key)
        if cached is not None:
            result: Evaluated = cached[0]
            return result
        self._busy.add(key)
        # The block's own references are its own: without a fresh stack they would leak
        # into whichever attribute happened to trigger this (first, uncached) evaluation.
        outer, self._collect = self._collect, []
        try:
            result = Evaluated({}, {}, {})
            self._eval_body(block.body, "", result, block.line_offset, file=block.file)
        finally:
            self._collect = outer
            self._busy.discard(key)
        self._cache[key] = (result, [])
        return result

    def _eval_body(
        self, body: Tree, prefix: str, out: Evaluated, offset: int, target: dict[str, Any] | None = None, file: str = ""
    ) -> None:
        attrs = out.attrs if target is None else target
        for node in _children(body):
            if node.data == "attribute":
                name = _attr_name(node)
                path = prefix + name
                out.lines[path] = node.meta.line + offset
                if name == "provider" and not prefix:
                    attrs[name] = _traversal_text(_children(node)[-1])
                    continue
                self._collect.append([])
                try:
                    with self.evaluator.at(file, out.lines[path]):
                        attrs[name] = self.evaluator.eval(_children(node)[-1])
                finally:
                    refs = self._collect.pop()
                if refs:
                    out.refs[path] = list(dict.fromkeys(refs))
                    out.all_refs.extend(refs)
            elif node.data == "block":
                parts = [
                    c for c in node.children if isinstance(c, Tree) and c.data not in ("new_line_or_comment", "body")
                ]
                kind = _label_text(parts[0])
                inner = next(c for c in node.children if isinstance(c, Tree) and c.data == "body")
                if kind == "dynamic":
                    label = _label_text(parts[1]) if len(parts) > 1 else "dynamic"
                    attrs[label] = Unknown(f"dynamic {label}")
                    out.lines[prefix + label] = node.meta.line + offset
                    continue
                items = attrs.setdefault(kind, [])
                if not isinstance(items, list):
                    continue
                sub: dict[str, Any] = {}
                sub_prefix = f"{prefix}{kind}.{len(items)}."
                out.lines[sub_prefix[:-1]] = node.meta.line + offset
                out.lines.setdefault(prefix + kind, node.meta.line + offset)
                self._eval_body(inner, sub_prefix, out, offset, sub, file)
                items.append(sub)

    # --- producing resources ----------------------------------------------
    def resources(self) -> list[Resource]:
        out: list[Resource] = []
        provider_res: dict[str, Resource] = {}
        for block in self.providers:
            ev = self.evaluate(block)
            alias = ev.attrs.get("alias")
            key = block.labels[0] + (f".{alias}" if isinstance(alias, str) else "")
            res = self._make(
                block,
                "provider",
                block.labels[0],
                alias if isinstance(alias, str) else "default",
                f"provider.{key}",
                ev,
            )
            provider_res[key] = res
            out.append(res)
        for (kind, rtype, name), block in self.blocks.items():
            ev = self.evaluate(block)
            mode = "managed" if kind == "resource" else "data"
            address = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
            res = self._make(block, mode, rtype, name, address, ev)
            provider = ev.attrs.get("provider")
            res.provider = provider if isinstance(provider, str) else rtype.split("_", 1)[0]
            if mode == "data" and rtype in _RENDERED:
                attr = _RENDERED[rtype][0]
                res.attrs[attr] = self.resolve(["data", rtype, name, attr], f"data.{rtype}.{name}.{attr}")
            provider_defaults = provider_res.get(res.provider)
            if provider_defaults is not None:  # copied into every resource: count it
                self.evaluator.charge(provider_defaults.attrs.get("default_tags"))
                self.evaluator.charge(provider_defaults.attrs.get("default_labels"))
                if self.evaluator.exhausted:
                    provider_defaults = None
            _apply_provider_defaults(res, provider_defaults)
            out.append(res)
        for block in self.outputs:
            ev = self.evaluate(block)
            out.append(self._make(block, "output", "output", block.labels[0], f"output.{block.labels[0]}", ev))
        return out

    def _make(self, block: RawBlock, mode: str, rtype: str, name: str, address: str, ev: Evaluated) -> Resource:
        attrs = {k: v for k, v in ev.attrs.items() if k not in _META_ARGS or mode == "provider"}
        if mode == "managed" and "provider" in ev.attrs:
            attrs.pop("provider", None)
        comments = marker_comments(self.sources.get(block.file, []), block.line, block.end_line)
        return Resource(
            address=address,
            mode=mode,
            type=rtype,
            name=name,
            attrs=attrs,
            file=block.file,
            line=block.line,
            lines=dict(ev.lines),
            refs=dict(ev.refs),
            comments=comments,
        )


def _descend(value: Any, rest: list[Any], source: str) -> Any:
    for step in rest:
        if isinstance(value, Unknown):
            return Unknown(source)
        if isinstance(value, dict) and str(step) in value:
            value = value[str(step)]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return Unknown(source)
    return value


def _attr_name(node: Tree) -> str:
    return _label_text(node.children[0])


def _label_text(node: Any) -> str:
    if isinstance(node, Tree):
        if node.data == "string":
            return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree))
        return "".join(str(c) for c in node.children if not isinstance(c, Tree))
    return str(node)


def _has_attr(block: RawBlock, name: str) -> bool:
    return any(c.data == "attribute" and _attr_name(c) == name for c in _children(block.body))


def _traversal_text(node: Tree) -> str:
    return "".join(str(tok) for tok in node.scan_values(lambda t: isinstance(t, Token) and t.type in ("NAME", "DOT")))


def _parse_expr(text: str) -> Tree | None:
    blocks, _ = parse_text(f"__expr__ {{\n__x__ = {text}\n}}\n", "<expr>")
    if not blocks:
        return None
    attrs = _children(blocks[0].body)
    return _children(attrs[0])[-1] if attrs else None


def load_chunks(chunks: list[Chunk], sources: dict[str, list[str]]) -> Document:
    """Parse every chunk, then evaluate them together as one module."""
    doc = Document()
    blocks: list[RawBlock] = []
    for chunk in chunks:
        parsed, errors = parse_text(chunk.text, chunk.file, chunk.line_offset, lazy=True)
        blocks.extend(parsed)
        doc.errors.extend(errors)
    try:
        with fewer_collections():
            _evaluate_module(doc, blocks, sources, chunks)
    finally:
        for block in blocks:
            if isinstance(block, LazyBlock):
                block.release()
    return doc


def _evaluate_module(doc: Document, blocks: list[RawBlock], sources: dict[str, list[str]], chunks: list[Chunk]) -> None:
    module = Module(blocks, sources)
    doc.errors.extend(module.errors)
    files = sorted({c.file for c in chunks})
    try:
        doc.resources = module.resources()
        doc.secrets |= module.sensitive_values()
        for res in doc.resources:  # every value computed from a sensitive one (scanner/model/marks.py)
            collect_marked(res.attrs, doc.secrets)
    except RecursionError:
        file, line = module.evaluator.failed_at or (files[0] if files else "<hcl>", None)
        doc.errors.append(LoadError(file, line, f"expression nested too deeply to evaluate at {_at(file, line)}; "
                                                "the module's resources were not scanned"))
    evaluator = module.evaluator
    if evaluator.too_deep:
        file, line = evaluator.too_deep_at or (files[0] if files else "<hcl>", None)
        doc.errors.append(
            LoadError(
                file,
                line,
                f"expression nested too deeply to evaluate at {_at(file, line)} (past {MAX_DEPTH // 2} levels of "
                "brackets or calls); it was evaluated as unknown",
            )
        )
    if evaluator.exhausted:
        file, line = evaluator.exhausted_at or (files[0] if files else "<hcl>", None)
        doc.errors.append(
            LoadError(
                file,
                line,
                f"expression too complex to evaluate at {_at(file, line)}: the values it references expand past "
                "the evaluation budget; it and the rest of the module were evaluated as unknown",
            )
        )
    # large files are parsed block by block as evaluation needs them (hcl_parse.LazyBlock): blocks
    # nothing needed are parsed now, for their errors; a block that does not parse is not scanned
    broken: set[tuple[str, int]] = set()
    for block in blocks:
        if isinstance(block, LazyBlock):
            errors = block.parse_errors()
            if errors:
                doc.errors.extend(errors)
                broken.add((block.file, block.line))
    if broken:
        doc.resources = [r for r in doc.resources if (r.file, r.line) not in broken]


def _at(file: str, line: int | None) -> str:
    file = os.path.normpath(file) if not file.startswith("<") else file
    return f"{file}:{line}" if line else file
