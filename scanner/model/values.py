"""Three-valued attribute values: known, missing and unknown.

A *known* value is an ordinary Python value (str, int, float, bool, list, dict).
A *missing* value is an absent key (or ``None``): the author did not set it.
An *unknown* value is an :class:`Unknown`: it exists but cannot be known before
apply (a variable without default, a data source, a computed attribute).
Rules must never report "missing" for an unknown value.

One kind of unknown carries more: :class:`PartialJson`, JSON text that cannot be known
but whose structure can (see its docstring).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard


@dataclass(frozen=True)
class Unknown:
    """A value that is set but cannot be resolved statically.

    ``source`` is the expression text (``var.owner``) for messages; it never
    holds a literal secret because only references end up here.
    """

    source: str = ""

    def __bool__(self) -> bool:  # an unknown is never "truthy" by accident
        return False

    def __repr__(self) -> str:
        return f"Unknown({self.source!r})"


class PartialJson(Unknown):
    """An unknown JSON text whose structure is known: ``jsonencode`` of a value with unknowns inside.

    It *is* unknown (``is_unknown`` is true, it is falsy, a rule never reads it as missing): the
    text Terraform will produce cannot be known before apply. But the structure can, and
    ``.value`` holds it, with :class:`Unknown` at the unknown leaves. Policy analysis reads it,
    so literal actions are still judged when only a resource ARN is a reference:
    ``jsonencode({Statement = [{Action = "*", Resource = aws_s3_bucket.b.arn}]})``.
    Use :func:`known_structure` to read it; anything else sees a plain unknown.
    """

    def __init__(self, value: Any, source: str = "jsonencode(...)") -> None:
        super().__init__(source)
        object.__setattr__(self, "value", value)

    value: Any

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartialJson) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.source)


class OpenMap(dict[str, Any]):
    """A map a module's caller may add to: the empty default (``{}``) of an input of a reusable
    module, or anything merged with one.

    It is known (rules read it as the map it holds), but a key it lacks may still be supplied
    by the caller: owner, approval and expiry look-ups read a lacking key as unknown, not
    missing (scanner/policy/metadata.py). README.md, "Reusable modules and root modules".
    """


class OpenList(list[Any]):
    """A list a module's caller may add to (the empty default ``[]`` of a reusable module's input)."""


class TfSet(list[Any]):
    """A Terraform set (``toset``, ``setunion``..., a ``set(...)``-typed variable): a list here, in
    order of first appearance. Marked because a ``dynamic`` block's iterator key is a set element's
    value, and a list element's index."""


def tf_set(items: Iterable[Any]) -> TfSet:
    """``items`` as Terraform's set of them: each once, strings in lexical order (Terraform's order
    for a set of strings); other elements in order of first appearance."""
    out: list[Any] = []
    seen: set[str] = set()
    for item in items:  # linear: hostile input has long lists
        key = json.dumps(item, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return TfSet(sorted(out) if all(isinstance(v, str) for v in out) else out)


class OpenStr(str):
    """The empty default ``""`` of a reusable module's input: the caller may set any text."""


def is_open(value: Any) -> bool:
    """True for a value a module's caller may still add to (:class:`OpenMap` and its kin)."""
    return isinstance(value, OpenMap | OpenList | OpenStr)


def known_structure(value: Any) -> Any:
    """The structure inside a :class:`PartialJson`, else the value itself."""
    return value.value if isinstance(value, PartialJson) else value


class _Missing:
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def is_unknown(value: Any) -> TypeGuard[Unknown]:
    """Set, but not knowable before apply (a :class:`PartialJson` too). A type guard: the value is an
    :class:`Unknown` where this is true."""
    return isinstance(value, Unknown)


def is_missing(value: Any) -> bool:
    return value is None or value is MISSING


def is_known(value: Any) -> bool:
    return not is_missing(value) and not is_unknown(value)


def contains_unknown(value: Any) -> bool:
    """True when the value or anything nested in it is unknown."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def get_path(value: Any, path: str) -> Any:
    """Follow a dotted path (``inline_policy.0.policy``) through dicts and lists.

    Returns MISSING when a step is absent and an Unknown when a step is unknown.
    Single-element block lists are entered transparently, so ``rotation_rules.x``
    works on ``{"rotation_rules": [{"x": 1}]}``.
    """
    current = value
    for step in path.split(".") if path else []:
        if isinstance(current, Unknown):
            return current
        if isinstance(current, list):
            if step.isdigit():
                idx = int(step)
                current = current[idx] if idx < len(current) else MISSING
                continue
            if len(current) == 1:
                current = current[0]
            else:
                return MISSING
        if isinstance(current, Unknown):
            return current
        if not isinstance(current, Mapping):
            return MISSING
        current = current.get(step, MISSING)
        if current is None:
            return MISSING
    return current


def as_list(value: Any) -> list[Any]:
    """A list view of a value that may be a scalar, a list, missing or unknown."""
    if is_missing(value):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def known_strings(value: Any) -> list[str] | None:
    """The strings of a list value (a scalar is a list of one, a missing value an empty list); None
    when the value or one of its items is unknown. Items that are not strings are left out."""
    if is_unknown(value):
        return None
    items = as_list(value)
    if any(is_unknown(v) for v in items):
        return None
    return [v for v in items if isinstance(v, str)]


def iter_blocks(value: Any) -> Iterator[Mapping[str, Any]]:
    """Iterate nested blocks, tolerating a single block given as a mapping."""
    for item in as_list(value):
        if isinstance(item, Mapping):
            yield item


def norm_key(key: str) -> str:
    """Normalise a tag or label key: case-insensitive, ``-`` equals ``_``."""
    return key.strip().lower().replace("-", "_")
