"""Normalise Checkov's attribute values into three-valued scanner values.

Checkov wraps attribute values in one-element lists, injects metadata keys
(``__start_line__``, ``__address__``, plan ``__file__``/``start_line`` even inside
tag maps), leaves unresolved references as text (``"var.owner"``,
``"data.x.y.json"``, ``"repo:var.repo:*"``) and marks after-apply values
``"true_after_unknown"``. References and after-apply markers become
:class:`Unknown`, never a value and never "missing".
"""

from __future__ import annotations

import re
from typing import Any

from scanner.model.values import Unknown

TRUE_AFTER_UNKNOWN = "true_after_unknown"
_META = {"start_line", "end_line", "references_"}
#: a whole value that is a reference Checkov could not render
WHOLE_REF = re.compile(
    r"^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?"
    r"(?:\.[\w\[\]\"*-]+)*$"
)
#: an input reference left inside a partly rendered template ("repo:var.repo:*")
INPUT_REF = re.compile(r"(?<![\w./-])(?:var|local|module|each|count)\.[A-Za-z_][\w-]*")
_STARTS_AS_REF = re.compile(r"^(?:var|local|module|data|each|count|self|path|terraform)\.")


def is_meta_key(key: str) -> bool:
    return (key.startswith("__") and key.endswith("__")) or key in _META


def unresolved(text: str) -> bool:
    return (
        text == TRUE_AFTER_UNKNOWN
        or "${" in text
        or bool(_STARTS_AS_REF.match(text))
        or bool(INPUT_REF.search(text))
        or bool(WHOLE_REF.match(text))
    )


_JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.DOTALL)
_FUNCTION_CALL = re.compile(r"^[a-z][a-z0-9_]*\(.*\)$", re.DOTALL)


def _jsonencode_text(text: str) -> Any:
    """Checkov leaves ``jsonencode`` with references unrendered, as ``${jsonencode(<Python repr>)}``.

    The argument is a Python literal with ``${...}`` strings where references were,
    so it is read with ``ast.literal_eval`` (never executed) and re-encoded.
    """
    import ast

    from scanner.loaders.derived import encode

    match = _JSONENCODE.match(text)
    if not match:
        return None
    try:
        structure = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return encode(value(structure), "jsonencode(...)")


def value(raw: Any) -> Any:
    """One value, already unwrapped from Checkov's attribute list."""
    if isinstance(raw, str):
        if raw.startswith("${jsonencode("):
            encoded = _jsonencode_text(raw)
            if encoded is not None:
                return encoded
        if _FUNCTION_CALL.match(raw):  # a function Checkov could not evaluate, e.g. timeadd(...)
            return Unknown(raw)
        return Unknown(raw) if unresolved(raw) else raw
    if isinstance(raw, dict):
        return {str(k): value(v) for k, v in raw.items() if not is_meta_key(str(k))}
    if isinstance(raw, list):
        return [value(v) for v in raw]
    return raw


#: attributes Terraform types as JSON strings; Checkov renders a literal jsonencode() into a dict
JSON_ATTRS = {"policy", "assume_role_policy", "secret_string", "data_json", "policy_data", "secret_data",
              "container_definitions", "credentials"}
#: attributes that are maps in the provider schemas, never blocks
MAP_ATTRS = {"tags", "tags_all", "labels", "annotations", "effective_labels", "terraform_labels", "default_labels",
             "data", "binary_data", "string_data", "keepers", "rotate_when_changed", "variables"}


def _looks_like_block(item: Any) -> bool:
    """Checkov wraps every attribute of a block in a list; a map's values are not wrapped."""
    return isinstance(item, dict) and all(isinstance(v, list) for k, v in item.items() if not is_meta_key(str(k)))


def attribute(raw: Any, key: str = "") -> Any:
    """An attribute as Checkov stores it, in the model's shape.

    Checkov wraps a value in a one-element list (a list attribute arrives as
    ``[["a", "b"]]``); blocks arrive as a list of dicts and stay one, as the model
    wants; JSON-typed attributes become JSON text again.
    """
    inner = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    if key in JSON_ATTRS and isinstance(inner, dict | list):
        from scanner.loaders.derived import encode

        return encode(value(inner), f"jsonencode({key})")
    if key in MAP_ATTRS and isinstance(inner, dict):
        return {str(k): attribute(v) for k, v in inner.items() if not is_meta_key(str(k))}
    if isinstance(raw, list) and raw and all(_looks_like_block(i) for i in raw):
        return [attributes(i) for i in raw]
    return value(inner)


def attributes(conf: dict[str, Any]) -> dict[str, Any]:
    """A block's attributes; a ``dynamic`` block's content cannot be known statically, as in the HCL loader."""
    out = {str(k): attribute(v, str(k)) for k, v in conf.items() if not is_meta_key(str(k)) and k != "dynamic"}
    for dyn in conf.get("dynamic") or []:
        if isinstance(dyn, dict):
            for name in dyn:
                out[str(name)] = Unknown(f"dynamic {name}")
    return out


def first_int(*candidates: Any) -> int:
    for c in candidates:
        if isinstance(c, list) and c:
            c = c[0]
        if isinstance(c, int) and not isinstance(c, bool) and c > 0:
            return c
    return 1
