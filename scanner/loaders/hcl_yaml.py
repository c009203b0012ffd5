"""Terraform's ``yamldecode``: one YAML document, read with YAML 1.2's core schema.

PyYAML (libyaml's parser where installed) does the parsing; what it would read differently from
Terraform is changed here. PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` are
booleans, ``0755`` is octal, ``1:30`` is sexagesimal and ``2024-01-01`` is a date; in Terraform
(YAML 1.2 core) the first four are strings and numbers are decimal, and timestamps stay strings.

Bounded: a document over :data:`MAX_TEXT` characters is not read (unknown), and aliases may not
expand the value past :data:`MAX_NODES` nodes (``a: &a [*a ...]`` billion-laughs documents).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from scanner.model.values import tf_set

#: larger documents are left unknown: pure-Python YAML is slow, and a value that large is data
MAX_TEXT = 2 * 1024 * 1024
#: nodes the decoded value may have once aliases are expanded
MAX_NODES = 200_000

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class TooLarge(ValueError):
    """The document expands past :data:`MAX_NODES` nodes."""


def yamldecode(text: str) -> Any:
    """The value of the YAML document ``text``, as Terraform's ``yamldecode`` gives it.

    Raises ValueError (a YAML error is one) when Terraform would fail: several documents, a
    tag it does not know, text that is not YAML."""
    import yaml

    if len(text) > MAX_TEXT:
        raise TooLarge(f"a YAML document over {MAX_TEXT} characters")
    try:
        value = yaml.load(text, Loader=_loader())  # a SafeLoader: it builds no Python objects
    except yaml.YAMLError as exc:
        raise ValueError(f"not a YAML document: {type(exc).__name__}") from None
    budget = [MAX_NODES]
    return _terraform(value, budget, 0)


@lru_cache(maxsize=1)
def _loader() -> type:
    import yaml

    base = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[str, Any]:
            """Keys as Terraform's strings while the mapping is built: in a Python dict the keys
            `1` and `true` would be one key."""
            if isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)  # `<<` merge keys
            pairs = node.value
            return {_key(self.construct_object(k, deep=deep)): self.construct_object(v, deep=deep) for k, v in pairs}

    for tag, pattern, first in (
        ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
        ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
        ("tag:yaml.org,2002:float", _FLOAT, "-+.0123456789"),
        ("tag:yaml.org,2002:merge", re.compile(r"^<<$"), "<"),  # `<<: *defaults`
    ):
        Loader.add_implicit_resolver(tag, pattern, list(first))
    Loader.add_constructor("tag:yaml.org,2002:bool", lambda loader, node: loader.construct_scalar(node) in
                           ("true", "True", "TRUE"))  # fmt: skip
    Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: _int(loader.construct_scalar(node)))
    Loader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: _float(loader.construct_scalar(node)))
    # an explicit !!timestamp (or one from a document's own resolver) is text in Terraform
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return Loader


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # `0755` is 755 in YAML 1.2


def _float(text: str) -> float:
    low = text.lower()
    if low.endswith(".inf"):
        return -math.inf if low.startswith("-") else math.inf
    if low == ".nan":
        return math.nan
    return float(text)


def _terraform(value: Any, budget: list[int], depth: int) -> Any:
    """``value`` with Terraform's types: string keys, and numbers, strings, bools and null leaves;
    each alias expanded into its own copy, within the node budget."""
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLarge(f"a YAML value of more than {MAX_NODES} nodes")
    if depth > 200:
        raise ValueError("a YAML value nested more than 200 deep")
    if isinstance(value, dict):
        return {_key(k): _terraform(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):  # tuple: the pairs of !!omap and !!pairs
        return [_terraform(v, budget, depth + 1) for v in value]
    if isinstance(value, set | frozenset):  # !!set
        return tf_set(_terraform(v, budget, depth + 1) for v in value)
    if isinstance(value, bytes):  # !!binary: Terraform has no bytes
        raise ValueError("a YAML !!binary value")
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, dict | list):
        raise ValueError("a YAML mapping key that is not a scalar")
    return str(key)
