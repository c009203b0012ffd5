"""Evaluate a Terraform configuration as Terraform does before apply, into resources.

A configuration is a tree of module instances. Its root is a scanned directory (or a chat
answer); each ``module`` block calls a child module, once, or once per ``count`` index or
``for_each`` key. Every instance is evaluated with its own inputs: the root's from variable
defaults, tfvars files and ``--var``/``--var-file``; a child's from the calling block's
arguments, and its outputs flow back to the caller. Resources, data sources and module calls
with a known ``count``/``for_each`` are expanded into their instances (``aws_iam_user.u["ci"]``,
``module.ci[0].aws_iam_access_key.this``), with ``count.index``, ``each.key`` and ``each.value``
resolved; ``count = 0`` or an empty ``for_each`` means the object does not exist. An unknown
``count``/``for_each`` gives one instance without a key whose ``each``/``count`` are unknown.

How an input's ``default`` is read depends on the module (README.md, "Reusable modules and
root modules"): in a root module it is final; in a reusable module scanned on its own it is
what a caller gets by omitting the input, and an empty default (``{}``, ``[]``, ``""``) is
open: the caller may add to it (scanner/model/values.py ``OpenMap``); ``null`` is unknown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lark import Tree

from scanner.loaders import tfvars
from scanner.loaders.derived import RENDERED as _RENDERED
from scanner.loaders.derived import apply_provider_defaults as _apply_provider_defaults
from scanner.loaders.derived import encode as _encode
from scanner.loaders.hcl_config import (
    Chunk,
    ModuleConfig,
    attr_expr,
    attr_name,
    attr_node,
    label_text,
    nested_blocks,
    string_literal,
    traversal_text,
)
from scanner.loaders.hcl_eval import (
    MAX_DEPTH,
    Evaluator,
    ResourceObject,
    _as_number,
    _children,
    descend,
)
from scanner.loaders.hcl_parse import LazyBlock, RawBlock, parse_expression, parse_text
from scanner.loaders.hcl_types import convert, parse_type
from scanner.model.marks import collect as collect_marked
from scanner.model.marks import is_secret, mark
from scanner.model.resource import Document, LoadError, Resource
from scanner.model.values import OpenList, OpenMap, OpenStr, TfSet, Unknown, is_open, is_unknown
from scanner.policy.redact import collect_strings, is_credential_attr
from scanner.policy.waivers import marker_comments
from scanner.util.gc_pace import fewer_collections

if TYPE_CHECKING:
    from scanner.loaders.hcl_modules import ModuleReader

__all__ = ["Chunk", "Evaluated", "declarations", "load_chunks", "load_root"]

_META_ARGS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
#: arguments of a ``module`` block that are not inputs of the module
_CALL_META = {"source", "version", "count", "for_each", "providers", "depends_on"}
#: deepest chain of module calls followed (Terraform has no limit; a cycle would have none)
MAX_MODULE_DEPTH = 32
#: most resource and module instances one configuration expands to; past it, unknown
MAX_INSTANCES = 10_000
#: blocks that ``dynamic`` blocks may write in one configuration, all modules together
MAX_DYNAMIC_BLOCKS = 10_000


class _NoKey:
    """The instance key of an object without ``count``/``for_each`` (or with an unknown one)."""

    def __repr__(self) -> str:
        return "NO_KEY"


NO_KEY: Any = _NoKey()


def key_suffix(key: Any) -> str:
    """``[0]``, ``["roles/viewer"]`` or nothing: the instance key as Terraform writes it."""
    if key is NO_KEY:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


@dataclass
class Evaluated:
    attrs: dict[str, Any]
    lines: dict[str, int]
    refs: dict[str, list[str]]
    all_refs: list[str] = field(default_factory=list)
    #: attribute path -> (configuration address, instance key) of the instances it names by key
    instance_refs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: attribute path -> where the values it was made from were written outside the block
    origins: dict[str, list[str]] = field(default_factory=dict)


class Session:
    """What every module instance of one configuration shares: one evaluator (one budget), the
    reference collector, the module reader, errors and the instance count."""

    def __init__(self, reader: ModuleReader | None) -> None:
        self.evaluator = Evaluator(tfvars.NoReferences(), parse_expression)
        self.reader = reader
        #: one bucket per evaluation that collects references (an attribute, a memoised value),
        #: innermost last; a finished bucket is merged into the one below. Ordered sets: a value
        #: referenced a thousand times (in a `for` over a thousand items) is recorded once.
        self.collect: list[dict[str, None]] = []
        self.errors: list[LoadError] = []
        self.instances = 0
        self.over_limit = False
        self.blocks = 0
        self.blocks_over = False

    def record(self, address: str) -> None:
        if self.collect:
            self.collect[-1][address] = None

    def record_all(self, addresses: Iterable[str]) -> None:
        if self.collect:
            self.collect[-1].update(dict.fromkeys(addresses))

    def allow_blocks(self, count: int, file: str, line: int) -> bool:
        """Count blocks written by ``dynamic`` blocks against :data:`MAX_DYNAMIC_BLOCKS`: nested ones
        multiply (two levels over ``range(1000)`` are a million blocks). False past it (one error)."""
        self.blocks += count
        if self.blocks <= MAX_DYNAMIC_BLOCKS:
            return True
        if not self.blocks_over:
            self.blocks_over = True
            self.errors.append(LoadError(file, line, f"more than {MAX_DYNAMIC_BLOCKS} blocks written by dynamic "
                                         "blocks; the rest were evaluated as unknown"))  # fmt: skip
        return False

    def allow(self, count: int, where: RawBlock) -> bool:
        """Count new instances against :data:`MAX_INSTANCES`; False past it (one error)."""
        self.instances += count
        if self.instances <= MAX_INSTANCES:
            return True
        if not self.over_limit:
            self.over_limit = True
            self.errors.append(LoadError(where.file, where.line, f"more than {MAX_INSTANCES} resource and module "
                                         "instances; the rest were evaluated as one instance with an unknown key"))
        return False


@dataclass
class Call:
    """How a child instance was called: by which instance, which block, with which ``each``/``count``."""

    parent: Instance
    block: RawBlock
    binding: dict[str, Any]


class Instance:
    """One instance of a module: resolves ``var.``, ``local.``, resources, data sources and
    ``module.`` references in its own scope (the Resolver protocol of scanner/loaders/hcl_eval.py)."""

    def __init__(
        self,
        session: Session,
        config: ModuleConfig,
        *,
        mode: str,
        address: str = "",
        config_path: str = "",
        call: Call | None = None,
        assignments: dict[str, tfvars.Assignment] | None = None,
        names: tuple[str, ...] = (),
        rel_dir: str = ".",
        chain: tuple[str, ...] = (),
    ) -> None:
        self.session = session
        self.config = config
        self.mode = mode  # "root", "reusable" (scanned on its own, no root marker) or "child"
        self.address = address  # module.a["x"].module.b ("" for the root module)
        self.config_path = config_path  # module.a.module.b: how references name it
        self.call = call
        self.assignments = assignments or {}
        #: provider configurations by local name (``aws``, ``aws.us``), set when emitting
        self.providers: dict[str, Resource] = {}
        self.names = names
        self.rel_dir = rel_dir
        self.depth = len(names)
        #: real paths of the module directories from the root to this one (a call back into one
        #: of them is a cycle)
        self.chain: tuple[str, ...] = chain
        self._cache: dict[Any, tuple[Any, list[str]]] = {}
        self._busy: set[Any] = set()
        self._children: dict[str, dict[Any, Instance] | None] = {}

    @property
    def evaluator(self) -> Evaluator:
        return self.session.evaluator

    @property
    def _ref_prefix(self) -> str:
        return self.config_path + "." if self.config_path else ""

    @property
    def _address_prefix(self) -> str:
        return self.address + "." if self.address else ""

    # --- reference resolution (the Resolver protocol) -----------------------
    def _record(self, address: str) -> None:
        self.session.record(self._ref_prefix + address)

    def _record_instance(self, address: str, key: Any) -> None:
        """The instance a reference names, when its key is known (``x.r[count.index]`` in an instance,
        ``x.r["web"]``): kept apart from ``refs`` (which name configuration addresses) so that a
        count's or for_each's instances are not all taken for the one meant."""
        if isinstance(key, bool) or not isinstance(key, int | float | str) or is_unknown(key):
            return
        text = str(int(key)) if isinstance(key, float) and key.is_integer() else str(key)
        self.session.record(_INSTANCE + self._ref_prefix + address + _INSTANCE + text)

    def _memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key in self._cache:
            value, refs = self._cache[key]
            self.session.record_all(refs)
            return value
        if key in self._busy:
            return Unknown("cycle")
        self._busy.add(key)
        self.session.collect.append({})
        try:
            value = compute()
        finally:
            refs = list(self.session.collect.pop())
            self._busy.discard(key)
        self._cache[key] = (value, refs)
        self.session.record_all(refs)
        return value

    def _eval_here(self, node: Tree, binding: dict[str, Any] | None = None) -> Any:
        with self.evaluator.within(self, binding):
            return self.evaluator.eval(node)

    def resolve(self, path: list[Any], source: str) -> Any:
        head = path[0]
        if head == "var" and len(path) >= 2:
            value = self._memo(("var", path[1]), lambda: self._variable(str(path[1])))
            return descend(value, path[2:], source)
        if head == "local" and len(path) >= 2:
            entry = self.config.locals.get(str(path[1]))
            if entry is None:
                return Unknown(source)
            value = self._memo(("local", path[1]), lambda: self._local(str(path[1]), entry[0], entry[1]))
            return descend(value, path[2:], source)
        if head == "data" and len(path) >= 3:
            return self._data(path, source)
        if head == "module" and len(path) >= 2:
            return self._module_output(path, source)
        if head == "path" and len(path) == 2:
            return {"module": self.rel_dir, "root": ".", "cwd": "."}.get(str(path[1]), Unknown(source))
        if head in ("each", "count", "self", "path", "terraform", "ephemeral"):
            return Unknown(source)
        if len(path) >= 2:
            return self._resource(path, source)
        return Unknown(source)

    def _local(self, name: str, expr: Tree, block: RawBlock) -> Any:
        with self.evaluator.at(block.file, self.config.local_lines.get(name)):
            return self._eval_here(expr)

    def read_file(self, path: str) -> Any:
        reader = self.session.reader
        if reader is None:  # a chat answer or stdin: nothing on disk belongs to it
            return Unknown("file")
        return reader.read_file(path, self._directory)

    @property
    def _directory(self) -> str:
        reader = self.session.reader
        base = reader.root_dir if reader is not None else "."
        return os.path.normpath(os.path.join(base, self.rel_dir))

    def _resource(self, path: list[Any], source: str) -> Any:
        head, name = str(path[0]), str(path[1])
        block = self.config.blocks.get(("resource", head, name))
        self._record(f"{head}.{name}")
        counted = block is not None and _counted(block)
        # `x.r[0].attr` / `x.r["k"].attr` reference `x.r.attr`: refs carry no instance keys.
        attr_at = 3 if counted or (len(path) >= 4 and isinstance(path[2], int)) else 2
        if attr_at == 3 and len(path) > 2:
            self._record_instance(f"{head}.{name}", path[2])
        if len(path) > attr_at and not isinstance(path[attr_at], int):
            self._record(f"{head}.{name}.{path[attr_at]}")
        if block is None:
            return Unknown(source)
        return self._instance_value(block, path[2:], source)

    def _data(self, path: list[Any], source: str) -> Any:
        rtype, name = str(path[1]), str(path[2])
        key = ("data", rtype, name)
        self._record(f"data.{rtype}.{name}")
        block = self.config.blocks.get(key)
        counted = block is not None and _counted(block)
        attr_at = 4 if counted else 3
        if counted and len(path) > 3:
            self._record_instance(f"data.{rtype}.{name}", path[3])
        if len(path) > attr_at:
            self._record(f"data.{rtype}.{name}.{path[attr_at]}")
        if block is None:
            return Unknown(source)
        rendered = _RENDERED.get(rtype)
        if rendered is None:
            return Unknown(source)
        rest = path[3:]
        instance = NO_KEY
        if counted:
            instance = _instance_key(self._keys(block), rest[0]) if rest else None
            if instance is None:
                return Unknown(source)
            rest = rest[1:]
        if not rest or rest[0] != rendered[0]:
            return Unknown(source)
        attr, renderer = rendered

        def render() -> Any:
            ev = self.evaluate(block, instance)
            for origin in dict.fromkeys(r for r in ev.all_refs if r.startswith(_ORIGIN)):
                self.session.record(origin)  # the document's values came from there too
            return _encode(renderer(ev.attrs), rtype)

        value = self._memo((*key, instance, attr), render)
        return descend(value, rest[1:], source)

    def _instance_value(self, block: RawBlock, rest: list[Any], source: str) -> Any:
        """``rest`` read from a resource's literal attributes: ``[attr, ...]`` for a single
        resource, ``[key, attr, ...]`` for one with ``count``/``for_each``."""
        if not _counted(block):
            if rest and str(rest[0]) != "id":
                value = self.evaluate(block).attrs.get(str(rest[0]))
                if value is not None and not is_unknown(value):
                    if is_credential_attr(block.labels[0], str(rest[0])):  # what is computed from it is secret too
                        value = mark(value)
                    return descend(value, rest[1:], source)
            return Unknown(source)
        keys = self._keys(block)
        if keys is None:
            return Unknown(source)
        if not rest:  # the whole collection: a list (count) or a map (for_each) of objects
            objects = {k: self._object(block, k) for k in keys}
            return list(objects.values()) if attr_expr(block.body, "count") is not None else objects
        key = _instance_key(keys, rest[0])
        if key is None:
            return Unknown(source)
        return descend(self._object(block, key), rest[1:], source)

    def _object(self, block: RawBlock, key: Any) -> dict[str, Any]:
        attrs = self.evaluate(block, key).attrs
        return ResourceObject(
            (k, mark(v) if is_credential_attr(block.labels[0], k) else v)  # secret, as in _instance_value
            for k, v in attrs.items()
            if k not in _META_ARGS and k != "id"
        )

    # --- variables -------------------------------------------------------------
    def _variable(self, name: str) -> Any:
        block = self.config.variables.get(name)
        if block is None:
            return Unknown(f"var.{name}")
        value = self._variable_value(name, block)
        return mark(value) if self._declared_sensitive(block) else value

    def _declared_sensitive(self, block: RawBlock) -> bool:
        """``sensitive = true``: its value, and whatever is computed from it, is secret."""
        node = attr_expr(block.body, "sensitive")
        return node is not None and self._eval_here(node) is True

    def _variable_value(self, name: str, block: RawBlock) -> Any:
        if self.call is not None:
            call = self.call
            arg = attr_node(call.block.body, name) if name not in _CALL_META else None
            if arg is not None:
                value = call.parent._eval_here(_children(arg)[-1], call.binding)
                if value is not None or not _not_nullable(block, self):
                    self._origin(call.block.file, arg.meta.line + call.block.line_offset,
                                 f'the argument {name} of module "{call.block.labels[0]}"', value)
                    return self._typed(block, value)
            default = self._default(block, f'the default of var.{name} (module "{call.block.labels[0]}" does not '
                                           "set it)")
            return Unknown(f"var.{name}") if default is _NO_DEFAULT else self._typed(block, default)
        assigned = self.assignments.get(name)
        if assigned is not None:
            value = assigned.value
            if isinstance(value, tfvars.RawVar):
                try:
                    value = tfvars.convert_raw(value, attr_expr(block.body, "type"))
                except ValueError as exc:  # Terraform stops here; the rest is still scanned
                    self.session.errors.append(LoadError(block.file, block.line, f"--var {name}: {exc}"))
                    return Unknown(f"var.{name}")
            else:
                self._origin(assigned.file, assigned.line or 1, f"{name} in {os.path.basename(assigned.file)}", value)
            return self._typed(block, value)
        note = f"the default of var.{name}, which every caller that does not set it gets"
        default = self._default(block, note if self.mode == "reusable" else None)
        if default is _NO_DEFAULT or (default is None and self.mode == "reusable"):
            return Unknown(f"var.{name}")  # a root's null default is final: null
        default = self._typed(block, default)
        return _open(default) if self.mode == "reusable" else default

    def _typed(self, block: RawBlock, value: Any) -> Any:
        """The value converted to the variable's declared type (``optional()`` attributes filled)."""
        node = attr_expr(block.body, "type")
        if node is None or value is None or is_unknown(value):
            return value
        return convert(value, parse_type(node), self._eval_here)

    def _default(self, block: RawBlock, note: str | None = None) -> Any:
        """The variable's default; with ``note``, where it is becomes an origin of the values it feeds."""
        node = attr_node(block.body, "default")
        if node is None:
            return _NO_DEFAULT
        with self.evaluator.at(block.file, node.meta.line + block.line_offset):
            value = self._eval_here(_children(node)[-1])
        if note is not None:
            self._origin(block.file, node.meta.line + block.line_offset, note, value)
        return value

    def _origin(self, file: str, line: int, note: str, value: Any) -> None:
        """Record where a known value was written, outside the blocks it will feed: findings on
        what it feeds point there too (``Resource.origins``)."""
        if value is not None and not is_unknown(value):
            self.session.record(_ORIGIN.join(("", file, str(line), note)))

    def sensitive_values(self) -> set[str]:
        """Values of ``sensitive = true`` variables, wherever they come from: masked wherever
        they end up (tags too)."""
        out: set[str] = set()
        for name, block in self.config.variables.items():
            if self._declared_sensitive(block):
                collect_strings(self.resolve(["var", name], f"var.{name}"), out)
        return out

    # --- count / for_each ------------------------------------------------------
    def _keys(self, block: RawBlock) -> dict[Any, dict[str, Any]] | None:
        """Instance key -> ``each``/``count`` binding; {NO_KEY: {}} without count/for_each;
        None when they are unknown."""
        keys: dict[Any, dict[str, Any]] | None = self._memo(("keys", id(block)), lambda: self._expand(block))
        return keys

    def _expand(self, block: RawBlock) -> dict[Any, dict[str, Any]] | None:
        count_node = attr_expr(block.body, "count")
        each_node = attr_expr(block.body, "for_each")
        if count_node is None and each_node is None:
            return {NO_KEY: {}}
        out: dict[Any, dict[str, Any]] = {}
        if count_node is not None:
            count = _as_number(self._eval_here(count_node))
            if count is None or count < 0 or count != int(count):
                return None
            if not self.session.allow(int(count), block):
                return None
            return {i: {"count": {"index": i}} for i in range(int(count))}
        assert each_node is not None
        value = self._eval_here(each_node)
        if is_unknown(value) or value is None:
            return None
        if isinstance(value, dict):
            pairs = [(str(k), value[k]) for k in sorted(value)]
        elif isinstance(value, list):  # a set: of strings, in Terraform's (lexical) order
            if any(not isinstance(v, str) for v in value):
                return None
            pairs = [(v, v) for v in sorted(set(value))]
        else:
            return None
        if any(is_secret(k) for k in value):
            # Terraform refuses it: each key would show the secret in the instance's address,
            # which no report masks. Unknown keys: one instance, still checked.
            return None
        if not self.session.allow(len(pairs), block):
            return None
        for k, v in pairs:
            out[k] = {"each": {"key": k, "value": v}}
        return out

    # --- module calls ------------------------------------------------------------
    def children(self, name: str) -> dict[Any, Instance] | None:
        """The instances of ``module "name"``; None when its module cannot be read (remote and not
        installed, missing) or the call's ``count``/``for_each`` cannot be evaluated at all."""
        if name not in self._children:
            self._children[name] = None  # a call that reaches itself finds nothing
            self._children[name] = self._make_children(name)
        return self._children[name]

    def _make_children(self, name: str) -> dict[Any, Instance] | None:
        block = self.config.calls.get(name)
        reader = self.session.reader
        if block is None or reader is None:
            return None
        source = string_literal(attr_expr(block.body, "source"))
        directory = reader.source_dir(self._directory, (*self.names, name), source)
        if directory is None:
            return None
        real = os.path.realpath(directory)
        if real in self.chain or self.depth + 1 > MAX_MODULE_DEPTH:
            why = "calls itself" if real in self.chain else f"calls modules nested more than {MAX_MODULE_DEPTH} deep"
            self.session.errors.append(
                LoadError(block.file, block.line, f'module "{name}" {why}; it was not expanded again')
            )
            return None
        config = reader.config(directory)
        if config is None:  # Terraform refuses both
            what = "holds no .tf files" if os.path.isdir(directory) else "is not a directory"
            self.session.errors.append(LoadError(block.file, block.line, f'module "{name}": its source {what}'))
            return None
        keys = self._keys(block)
        if keys is None or not self.session.allow(len(keys), block):
            keys = {NO_KEY: {}}  # unknown count/for_each: one instance, each/count unknown
        rel_dir = os.path.relpath(directory, reader.root_dir) if reader.root_dir else directory
        out: dict[Any, Instance] = {}
        for key, binding in keys.items():
            out[key] = Instance(
                self.session,
                config,
                mode="child",
                address=f"{self._address_prefix}module.{name}{key_suffix(key)}",
                config_path=f"{self._ref_prefix}module.{name}",
                call=Call(self, block, binding),
                names=(*self.names, name),
                rel_dir=rel_dir,
                chain=(*self.chain, real),
            )
        return out

    def _child_providers(self, block: RawBlock) -> dict[str, Resource]:
        """Default provider configurations pass to a child implicitly; ``providers = {...}`` maps."""
        inherited = {k: v for k, v in self.providers.items() if "." not in k}
        node = attr_expr(block.body, "providers")
        while node is not None and node.data == "expr_term" and len(_children(node)) == 1:
            node = _children(node)[0]
        if node is not None and node.data == "object":
            for elem in _children(node):
                key_node, value_node = _children(elem)[0], _children(elem)[-1]
                # `aws = aws.us`; in .tf.json the names are strings: `"aws": "aws.us"`
                key = string_literal(key_node) or traversal_text(key_node)
                target = self.providers.get(string_literal(value_node) or traversal_text(value_node))
                if target is not None:
                    inherited[key] = target
        return inherited

    def _module_output(self, path: list[Any], source: str) -> Any:
        name = str(path[1])
        self._record(f"module.{name}")
        block = self.config.calls.get(name)
        counted = block is not None and _counted(block)
        rest = path[2:]
        if counted and len(rest) >= 2:
            self._record(f"module.{name}.{rest[1]}")
        elif not counted and rest:
            self._record(f"module.{name}.{rest[0]}")
        children = self.children(name)
        if block is None or children is None:
            return Unknown(source)
        if counted:
            key = _instance_key(children, rest[0]) if rest else None
            if key is None:
                return Unknown(source)
            child, rest = children[key], rest[1:]
        else:
            child = children[NO_KEY]
        if not rest:
            return Unknown(source)
        return descend(child.output(str(rest[0])), rest[1:], source)

    def output(self, name: str) -> Any:
        block = next((b for b in self.config.outputs if b.labels[0] == name), None)
        node = attr_expr(block.body, "value") if block is not None else None
        if node is None:
            return Unknown(f"{self.address}.{name}")
        return self._memo(("output", name), lambda: self._eval_here(node))

    # --- block evaluation ---------------------------------------------------
    def evaluate(self, block: RawBlock, key: Any = NO_KEY) -> Evaluated:
        cache_key = ("block", id(block), key)
        cached = self._cache.get(cache_key)
        if cached is not None:
            result: Evaluated = cached[0]
            return result
        keys = self._keys(block) if key is not NO_KEY else None
        binding = keys.get(key, {}) if keys else {}
        # The block's own references are its own: without a fresh stack they would leak
        # into whichever attribute happened to trigger this (first, uncached) evaluation.
        outer, self.session.collect = self.session.collect, []
        try:
            result = Evaluated({}, {}, {})
            with self.evaluator.within(self, binding):
                self._eval_body(block.body, "", result, block.line_offset, file=block.file)
        finally:
            self.session.collect = outer
        self._cache[cache_key] = (result, [])
        return result

    def _eval_body(
        self, body: Tree, prefix: str, out: Evaluated, offset: int, target: dict[str, Any] | None = None, file: str = ""
    ) -> None:
        attrs = out.attrs if target is None else target
        collect = self.session.collect
        for node in _children(body):
            if node.data == "attribute":
                name = attr_name(node)
                path = prefix + name
                out.lines[path] = node.meta.line + offset
                if name == "provider" and not prefix:
                    attrs[name] = traversal_text(_children(node)[-1])
                    continue
                if name in ("count", "for_each") and not prefix:
                    continue  # evaluated once, by _keys, outside any instance
                collect.append({})
                try:
                    with self.evaluator.at(file, out.lines[path]):
                        attrs[name] = self.evaluator.eval(_children(node)[-1])
                finally:
                    refs = list(collect.pop())
                instances = [r[1:] for r in refs if r.startswith(_INSTANCE)]
                if instances:
                    pairs = (r.split(_INSTANCE, 1) for r in dict.fromkeys(instances))
                    out.instance_refs[path] = [(address, key) for address, key in pairs]
                    refs = [r for r in refs if not r.startswith(_INSTANCE)]
                if refs:
                    out.all_refs.extend(refs)
                    origins = [r for r in refs if r.startswith(_ORIGIN)]
                    if origins:
                        out.origins[path] = list(dict.fromkeys(origins))
                        refs = [r for r in refs if not r.startswith(_ORIGIN)]
                    if refs:
                        out.refs[path] = list(dict.fromkeys(refs))
            elif node.data == "block":
                parts = [
                    c for c in node.children if isinstance(c, Tree) and c.data not in ("new_line_or_comment", "body")
                ]
                kind = label_text(parts[0])
                inner = next(c for c in node.children if isinstance(c, Tree) and c.data == "body")
                if kind == "dynamic":
                    label = label_text(parts[1]) if len(parts) > 1 else "dynamic"
                    out.lines.setdefault(prefix + label, node.meta.line + offset)
                    if not self._dynamic(inner, label, prefix, out, offset, attrs, file):
                        attrs[label] = Unknown(f"dynamic {label}")
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

    def _dynamic(
        self, body: Tree, label: str, prefix: str, out: Evaluated, offset: int, attrs: dict[str, Any], file: str
    ) -> bool:
        """Expand ``dynamic "label"`` into one ``label`` block per element of its known ``for_each``, as
        Terraform does before plan; False when that cannot be known (the blocks are then unknown)."""
        items, content = attrs.get(label, []), None
        for kind, inner in nested_blocks(body):
            content = inner if kind == "content" else content
        source, iterator = attr_node(body, "for_each"), attr_expr(body, "iterator")
        if not isinstance(items, list) or content is None or source is None:
            return False
        with self.evaluator.at(file, source.meta.line + offset):
            collection = self.evaluator.eval(_children(source)[-1])
        if is_open(collection):  # a reusable module's empty default: the caller's blocks are not known
            return False
        if isinstance(collection, Mapping) and not is_unknown(collection):
            pairs = [(k, collection[k]) for k in sorted(collection, key=str)]  # maps iterate in key order
        elif isinstance(collection, TfSet | set | frozenset):
            pairs = [(v, v) for v in collection]  # a set element's key is its value
        elif isinstance(collection, list | tuple):
            pairs = list(enumerate(collection))
        else:
            return False  # unknown, or not a collection
        if any(is_unknown(k) for k, _ in pairs) or self.evaluator.exhausted:
            return False
        if not self.session.allow_blocks(len(pairs), file, source.meta.line + offset):
            return False
        name = traversal_text(iterator) if iterator is not None else label
        scopes = self.evaluator.scopes
        written: list[dict[str, Any]] = []
        for key, value in pairs:
            if self.evaluator.exhausted or self.session.blocks_over:  # nested dynamic blocks multiply
                return False
            sub: dict[str, Any] = {}
            sub_prefix = f"{prefix}{label}.{len(items) + len(written)}."
            out.lines[sub_prefix[:-1]] = out.lines[prefix + label]
            scopes.append({name: {"key": key, "value": value}})
            try:
                self._eval_body(content, sub_prefix, out, offset, sub, file)
            finally:
                scopes.pop()
            written.append(sub)
        attrs[label] = [*items, *written]
        return True

    # --- producing resources ----------------------------------------------
    def emit(self, out: list[Resource], secrets: set[str]) -> None:
        """This instance's providers, resources, data sources and outputs, then its children's."""
        if self.call is not None:  # the caller's provider configurations are all registered by now
            self.providers = self.call.parent._child_providers(self.call.block)
        for block in self.config.providers:
            ev = self.evaluate(block)
            alias = ev.attrs.get("alias")
            key = block.labels[0] + (f".{alias}" if isinstance(alias, str) else "")
            res = self._make(
                block,
                "provider",
                block.labels[0],
                alias if isinstance(alias, str) else "default",
                f"{self._address_prefix}provider.{key}",
                ev,
            )
            self.providers[key] = res
            out.append(res)
        for (kind, rtype, name), block in self.config.blocks.items():
            keys = self._keys(block)
            for key in keys if keys is not None else {NO_KEY: {}}:
                out.append(self._resource_instance(block, kind, rtype, name, key))
        for block in self.config.outputs:
            ev = self.evaluate(block)
            out.append(
                self._make(
                    block, "output", "output", block.labels[0], f"{self._address_prefix}output.{block.labels[0]}", ev
                )
            )
        secrets |= self.sensitive_values()
        for name in self.config.calls:
            for child in (self.children(name) or {}).values():
                child.emit(out, secrets)

    def _resource_instance(self, block: RawBlock, kind: str, rtype: str, name: str, key: Any) -> Resource:
        ev = self.evaluate(block, key)
        mode = "managed" if kind == "resource" else "data"
        local = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
        res = self._make(block, mode, rtype, name, f"{self._address_prefix}{local}{key_suffix(key)}", ev)
        provider = ev.attrs.get("provider")
        res.provider = provider if isinstance(provider, str) else rtype.split("_", 1)[0]
        if mode == "data" and rtype in _RENDERED:
            attr = _RENDERED[rtype][0]
            path: list[Any] = ["data", rtype, name] + ([] if key is NO_KEY else [key]) + [attr]
            res.attrs[attr] = self.resolve(path, f"data.{rtype}.{name}.{attr}")
        provider_defaults = self.providers.get(res.provider)
        if provider_defaults is not None:  # copied into every resource: count it
            self.evaluator.charge(provider_defaults.attrs.get("default_tags"))
            self.evaluator.charge(provider_defaults.attrs.get("default_labels"))
            if self.evaluator.exhausted:
                provider_defaults = None
        _apply_provider_defaults(res, provider_defaults)
        return res

    def _make(self, block: RawBlock, mode: str, rtype: str, name: str, address: str, ev: Evaluated) -> Resource:
        attrs = {k: v for k, v in ev.attrs.items() if k not in _META_ARGS or mode == "provider"}
        if mode == "managed" and "provider" in ev.attrs:
            attrs.pop("provider", None)
        comments = marker_comments(self.config.sources.get(block.file, []), block.line, block.end_line)
        return Resource(
            address=address,
            mode=mode,
            type=rtype,
            name=name,
            attrs=attrs,
            file=block.file,
            line=block.line,
            module=self.address,
            lines=dict(ev.lines),
            refs=dict(ev.refs),
            instance_refs=dict(ev.instance_refs) if ev.instance_refs else None,
            comments=comments,
            origins={
                path: [(f, int(n), note) for f, n, note in (o[1:].split(_ORIGIN, 2) for o in found)]
                for path, found in ev.origins.items()
            },
        )


_NO_DEFAULT: Any = object()
#: marks an origin among the references an evaluation collects: "\0file\0line\0note"
_ORIGIN = "\0"
#: marks a recorded reference to one instance: _INSTANCE address _INSTANCE key
_INSTANCE = "\1"


def _instance_key(keys: dict[Any, Any] | None, raw: Any) -> Any:
    """The key of an existing instance that ``raw`` (``[0]``, ``["k"]``) names; None if none."""
    if keys is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and raw not in keys and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int | str) or raw not in keys:
        return None
    return raw


def _counted(block: RawBlock) -> bool:
    return attr_expr(block.body, "count") is not None or attr_expr(block.body, "for_each") is not None


def _not_nullable(block: RawBlock, instance: Instance) -> bool:
    node = attr_expr(block.body, "nullable")
    return node is not None and instance._eval_here(node) is False


def _open(default: Any) -> Any:
    """A reusable module's empty default: what the caller may add to (README.md)."""
    if isinstance(default, dict) and not default:
        return OpenMap()
    if isinstance(default, list) and not default:
        return OpenList()
    if isinstance(default, str) and not default:
        return OpenStr()
    return default


def _finish(session: Session, root: Instance, files: list[str], doc: Document, blocks: list[RawBlock]) -> None:
    """Evaluate the configuration from ``root`` into ``doc``, with the evaluator's limits reported.

    ``blocks`` are the root's: those of a large file are parsed one by one as evaluation needs
    them (hcl_parse.LazyBlock), and released afterwards."""
    try:
        with fewer_collections():
            _evaluate(session, root, files, doc, blocks)
    finally:
        for block in blocks:
            if isinstance(block, LazyBlock):
                block.release()


def _evaluate(session: Session, root: Instance, files: list[str], doc: Document, blocks: list[RawBlock]) -> None:
    doc.errors.extend(root.config.errors)
    evaluator = session.evaluator
    first = files[0] if files else "<hcl>"
    try:
        resources: list[Resource] = []
        root.emit(resources, doc.secrets)
        doc.resources = resources
        for res in doc.resources:  # every value computed from a sensitive one (scanner/model/marks.py)
            collect_marked(res.attrs, doc.secrets)
    except RecursionError:
        file, line = evaluator.failed_at or (first, None)
        doc.errors.append(LoadError(file, line, f"expression nested too deeply to evaluate at {_at(file, line)}; "
                                                "the module's resources were not scanned"))
    doc.errors.extend(session.errors)
    if evaluator.too_deep:
        file, line = evaluator.too_deep_at or (first, None)
        doc.errors.append(LoadError(file, line, f"expression nested too deeply to evaluate at {_at(file, line)} "
                                                f"(past {MAX_DEPTH // 2} levels of brackets or calls); it was "
                                                "evaluated as unknown"))
    if evaluator.exhausted:
        file, line = evaluator.exhausted_at or (first, None)
        doc.errors.append(LoadError(file, line, f"expression too complex to evaluate at {_at(file, line)}: the "
                                                "values it references expand past the evaluation budget; it and "
                                                "the rest of the module were evaluated as unknown"))
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


def _parse_chunks(chunks: list[Chunk], doc: Document, lazy: bool = True) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    for chunk in chunks:
        parsed, errors = parse_text(chunk.text, chunk.file, chunk.line_offset, lazy=lazy)
        blocks.extend(parsed)
        doc.errors.extend(errors)
    return blocks


def load_chunks(chunks: list[Chunk], sources: dict[str, list[str]]) -> Document:
    """Parse every chunk, then evaluate them together as one root module with nothing on disk
    (a chat answer, stdin, a lone ``.tf.json``): module calls are not expanded."""
    doc = Document()
    blocks = _parse_chunks(chunks, doc)
    config = ModuleConfig(blocks, sources)
    session = Session(None)
    _finish(session, Instance(session, config, mode="root"), sorted({c.file for c in chunks}), doc, blocks)
    return doc


def declarations(chunks: list[Chunk], sources: dict[str, list[str]]) -> list[Resource]:
    """One resource per ``resource``/``data`` block as written: no instance expanded or dropped
    (``count = 0`` included), no module call followed. For ``--source-dir``, which maps plan
    objects to their blocks."""
    doc = Document()
    config = ModuleConfig(_parse_chunks(chunks, doc, lazy=False), sources)
    session = Session(None)
    root = Instance(session, config, mode="root")
    return [
        root._resource_instance(block, kind, rtype, name, NO_KEY)
        for (kind, rtype, name), block in config.blocks.items()
    ]


def load_root(
    directory: str,
    chunks: list[Chunk],
    sources: dict[str, list[str]],
    var_files: list[tuple[str, str]],
    var_args: list[str],
    has_tfvars: bool,
    overlays: dict[str, str] | None = None,
) -> Document:
    """A module directory scanned on its own, its module calls expanded from disk.

    ``var_files`` are (name, text) of the variables files to apply, in order (the directory's
    auto-loaded ones, then ``--var-file``); ``has_tfvars``: the directory holds a variables file,
    which makes it a root module; ``overlays``: real path -> text read instead of that file.
    """
    from scanner.loaders.hcl_modules import ModuleReader
    from scanner.loaders.tf_json import remap

    doc = Document()
    blocks = _parse_chunks(chunks, doc)
    config = ModuleConfig(blocks, sources, directory)
    reader = ModuleReader(directory, overlays)
    session = Session(reader)
    assignments = tfvars.assignments(var_files, var_args, doc.errors)
    mode = "root" if config.root_marker or has_tfvars else "reusable"
    root = Instance(session, config, mode=mode, assignments=assignments, chain=(os.path.realpath(directory),))
    _finish(session, root, sorted({c.file for c in chunks}), doc, blocks)
    doc.errors.extend(reader.errors)
    if reader.line_maps:
        remap(doc, reader.line_maps)
    doc.depends = dict(reader.depends)
    doc.called = sorted(reader.local_dirs)
    return doc
