"""A variable's value converted to its declared ``type``, as Terraform does before a module sees it.

What matters for evaluation is ``optional()``: an object attribute the caller leaves out is its
default, or ``null``, not an error. Without it ``var.service_account.auto_create`` of
``service_account = {}`` would be an error where Terraform reads ``false``
(``auto_create = optional(bool, false)``), and ``var.cfg.x != null`` would be unknown where
Terraform reads ``false``. Primitive conversions (``"2"`` for a ``number``) follow Terraform's.
Anything this does not understand is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lark import Tree

from scanner.loaders.hcl_eval import _as_number, _children
from scanner.model.values import OpenList, OpenMap, is_unknown, tf_set


@dataclass
class _Type:
    kind: str  # object, map, list, set, tuple, string, number, bool, any
    element: _Type | None = None  # map, list, set
    attrs: dict[str, tuple[_Type, bool, Tree | None]] = field(default_factory=dict)  # object: (type, optional, default)
    items: list[_Type] = field(default_factory=list)  # tuple


_ANY = _Type("any")
_MAX_DEPTH = 32


def parse_type(node: Tree | None, depth: int = 0) -> _Type:
    """The type a ``type = ...`` expression declares; ``any`` for what is not understood."""
    while node is not None and node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    if node is None or depth > _MAX_DEPTH:
        return _ANY
    if node.data == "identifier":
        name = str(node.children[0])
        return _Type(name) if name in ("string", "number", "bool") else _Type("any" if name == "any" else name)
    if node.data != "function_call":
        return _ANY
    kids = _children(node)
    name = str(kids[0].children[0])
    args_node = next((k for k in kids if k.data == "arguments"), None)
    args = _children(args_node) if args_node is not None else []
    if name in ("list", "set", "map") and args:
        return _Type(name, element=parse_type(args[0], depth + 1))
    if name == "object" and args:
        obj = _unwrap(args[0])
        if obj is None or obj.data != "object":
            return _ANY
        attrs: dict[str, tuple[_Type, bool, Tree | None]] = {}
        for elem in _children(obj):
            key = _key(_children(elem)[0])
            if key is None:
                return _ANY
            attrs[key] = _attribute(_children(elem)[-1], depth + 1)
        return _Type("object", attrs=attrs)
    if name == "tuple" and args:
        seq = _unwrap(args[0])
        if seq is None or seq.data != "tuple":
            return _ANY
        return _Type("tuple", items=[parse_type(t, depth + 1) for t in _children(seq)])
    return _ANY


def _attribute(node: Tree, depth: int) -> tuple[_Type, bool, Tree | None]:
    """An object attribute's type: ``optional(T, default)`` -> (T, True, default)."""
    inner = _unwrap(node)
    if inner is not None and inner.data == "function_call" and str(_children(inner)[0].children[0]) == "optional":
        args_node = next((k for k in _children(inner) if k.data == "arguments"), None)
        args = _children(args_node) if args_node is not None else []
        return parse_type(args[0] if args else None, depth), True, args[1] if len(args) > 1 else None
    return parse_type(node, depth), False, None


def _unwrap(node: Tree) -> Tree | None:
    while node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    return node


def _key(node: Tree) -> str | None:
    inner = _unwrap(node) if isinstance(node, Tree) else None
    if inner is None:
        return None
    if inner.data == "object_elem_key":
        kids = _children(inner)
        inner = _unwrap(kids[0]) if kids else None
    if inner is not None and inner.data == "identifier":
        return str(inner.children[0])
    if inner is not None and inner.data == "string":
        return "".join(str(p.children[0]) for p in inner.children if isinstance(p, Tree))
    return None


def convert(value: Any, t: _Type, default: Callable[[Tree], Any], depth: int = 0) -> Any:
    """``value`` as type ``t``; ``default`` evaluates an ``optional()`` default expression."""
    if value is None or is_unknown(value) or t.kind == "any" or depth > _MAX_DEPTH:
        return value
    if t.kind == "object" and isinstance(value, dict):
        out = dict(value)
        for name, (attr_type, optional, default_node) in t.attrs.items():
            if name in out:
                out[name] = convert(out[name], attr_type, default, depth + 1)
            elif optional:
                out[name] = None if default_node is None else convert(default(default_node), attr_type, default,
                                                                        depth + 1)
        return OpenMap(out) if isinstance(value, OpenMap) else out
    if t.kind == "map" and isinstance(value, dict) and t.element is not None:
        converted = {k: convert(v, t.element, default, depth + 1) for k, v in value.items()}
        return OpenMap(converted) if isinstance(value, OpenMap) else converted
    if t.kind in ("list", "set") and isinstance(value, list) and t.element is not None:
        items = [convert(v, t.element, default, depth + 1) for v in value]
        if isinstance(value, OpenList):
            return OpenList(items)
        return tf_set(items) if t.kind == "set" else items
    if t.kind == "tuple" and isinstance(value, list) and len(value) == len(t.items):
        return [convert(v, item, default, depth + 1) for v, item in zip(value, t.items, strict=True)]
    if t.kind == "number" and isinstance(value, str):
        number = _as_number(value)
        return value if number is None else number
    if t.kind == "bool" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if t.kind == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if t.kind == "string" and isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value
