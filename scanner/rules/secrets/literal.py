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
from collections.abc import Mapping
from typing import Any

from scanner.model.resource import Resource
from scanner.model.values import Unknown
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
    if not isinstance(value, str) or isinstance(value, Unknown) or not meaningful(value):
        return None
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
    return sorted(str(k) for k, v in value.items() if not NOT_SECRET_KEY.match(str(k)) and has_content(v))
