"""What counts as a secret written literally in the Terraform code.

A value is *literal* when it is a known, non-empty string and the expression that
produced it references nothing (``res.refs`` has no entry for the path). In HCL,
variable defaults and locals are resolved without being recorded as references,
so a secret in a variable default counts as literal: it is in the code. In a plan,
every reference (``var.x`` included) shows up in ``configuration``, so only
constants count. A plan without ``configuration`` cannot tell the two apart
(``Resource.has_config`` is False) and yields nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model.resource import Resource
from scanner.model.values import PartialJson, Unknown
from scanner.policy.credential_formats import base64_text, is_identifier
from scanner.policy.redact import NOT_SECRET_KEY


def _plain(path: str) -> str:
    """``kubernetes.0.token`` -> ``kubernetes.token`` (block indexes differ between loaders)."""
    return ".".join(p for p in path.split(".") if not p.isdigit())


def has_refs(res: Resource, path: str) -> bool:
    """The expression at ``path``, a block around it or anything inside it references something."""
    want = _plain(path)
    for key, targets in res.refs.items():
        if not targets:
            continue
        key = _plain(key)
        if key == want or key.startswith(want + ".") or want.startswith(key + "."):
            return True
    return False


def meaningful(value: Any) -> bool:
    """A leaf worth calling a secret: a non-empty string (or number), not a placeholder for nothing."""
    if isinstance(value, bool) or value is None or isinstance(value, Unknown):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and value.strip() not in ("", "{}", "[]", "null")


def has_content(value: Any) -> bool:
    """A known structure with at least one meaningful leaf and no unknown part."""
    if isinstance(value, Unknown):
        return False
    if isinstance(value, Mapping):
        leaves = list(value.values())
        return all(not isinstance(v, Unknown) for v in leaves) and any(has_content(v) for v in leaves)
    if isinstance(value, list):
        return all(not isinstance(v, Unknown) for v in value) and any(has_content(v) for v in value)
    return meaningful(value)


def literal_string(res: Resource, path: str) -> str | None:
    """The value at ``path`` when it is a literal, non-empty string written in the code."""
    if not res.has_config or has_refs(res, path):
        return None
    value = res.get(path)
    if not isinstance(value, str) or isinstance(value, Unknown) or not meaningful(value) or is_identifier(value):
        return None  # an FQDN, a client id or a public key in a secret store is configuration, not a secret
    stripped = value.strip()
    if stripped[:1] in "{[":  # a JSON document (jsonencode of a literal map): needs a real value inside
        try:
            return value if has_content(json.loads(stripped)) else None
        except ValueError:
            return value
    return value


def literal_map_keys(res: Resource, path: str) -> list[str]:
    """Keys of the map at ``path`` whose values are literal secrets written in the code.

    Keys that plainly hold configuration (``username``, ``DB_HOST``, ``port``; see
    :data:`scanner.policy.redact.NOT_SECRET_KEY`) are skipped.
    """
    if not res.has_config or has_refs(res, path):
        return []
    value = res.get(path)
    if not isinstance(value, Mapping):
        return []
    return sorted(
        str(k)
        for k, v in value.items()
        if not NOT_SECRET_KEY.match(str(k)) and has_content(v) and not (isinstance(v, str) and is_identifier(v))
    )


@dataclass(frozen=True)
class Leaf:
    """One string somewhere in a resource, with where it is."""

    #: the attribute path Terraform-style, for lines (``environment.0.variables``)
    path: str
    #: for messages: without block indexes, and into JSON text (``container_definitions[0].environment[1].value``)
    shown: str
    text: str


#: references through which a known value may come from outside the code (a variable's value, a data
#: source read at plan time, a module output)
_OUTSIDE = ("var.", "local.", "module.", "data.", "each.", "count.")


def _in_code(res: Resource, path: str) -> bool:
    """A known value at ``path`` was written in the code: nothing it references can bring in a
    value from elsewhere (the HCL loader resolves variable defaults and locals, which are code; in a
    plan every reference is recorded, so only literals and other resources' values pass)."""
    if not res.has_config or path in res.sensitive_paths:
        return False
    want = _plain(path)
    for key, targets in res.refs.items():
        key = _plain(key)
        related = key == want or key.startswith(want + ".") or want.startswith(key + ".")
        if related and any(str(t).startswith(_OUTSIDE) for t in targets):
            return False
    return True


def literal_leaves(res: Resource, skip: tuple[str, ...] = ()) -> Iterator[Leaf]:
    """Every string written in the code of ``res``, JSON text and ``*_base64`` attributes opened.

    Attributes in ``skip`` (top-level names) are left out. Inside a ``jsonencode`` the HCL loader
    could evaluate only partly, the known parts are code wherever the unknown ones come from.
    """
    for name, value in res.attrs.items():
        if name in skip:
            continue
        yield from _walk(res, value, name, name, partial=False)


#: how deep a structure is followed: JSON text inside JSON text inside a plan could otherwise go deeper than
#: Python's recursion limit; Terraform configurations nest a few levels
_MAX_DEPTH = 64


def _walk(res: Resource, value: Any, path: str, shown: str, partial: bool, depth: int = 0) -> Iterator[Leaf]:
    if depth > _MAX_DEPTH:
        return
    depth += 1
    if isinstance(value, PartialJson):
        yield from _walk(res, value.value, path, shown, partial=True, depth=depth)
    elif isinstance(value, Unknown):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(res, item, f"{path}.{key}", f"{shown}.{key}", partial, depth)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            inner = isinstance(item, Mapping) and not partial and "[" not in shown
            yield from _walk(res, item, f"{path}.{i}", shown if inner else f"{shown}[{i}]", partial, depth)
    elif isinstance(value, str) and value and (partial or _in_code(res, path)):
        decoded = _json(value)
        if decoded is not None:  # a `jsonencode` Terraform already rendered: its strings, one by one
            yield from _walk(res, decoded, path, shown, partial=True, depth=depth)
            return
        yield Leaf(path, shown, value)
        name = path.rsplit(".", 1)[-1]
        decoded_text = base64_text(value) if name == "user_data" or name.endswith("_base64") else None
        if decoded_text is not None:  # launch templates take user data base64-encoded
            yield Leaf(path, f"{shown} (base64-decoded)", decoded_text)


def _json(text: str) -> Any:
    """The structure in JSON text (an object or a list), or None."""
    stripped = text.lstrip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        decoded = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict | list) else None
