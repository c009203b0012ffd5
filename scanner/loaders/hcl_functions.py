"""Terraform's pure functions, as the HCL evaluator (scanner/loaders/hcl_eval.py) calls them.

Each takes known values; the evaluator calls one only when every argument is known, and turns an
exception into Terraform's own error (``Invalid``), so ``try()`` and ``can()`` behave as in
Terraform. ``jsonencode`` is special: of a value with unknowns inside it is a
:class:`~scanner.model.values.PartialJson`, whose structure policy analysis still reads.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from scanner.loaders.hcl_yaml import yamldecode
from scanner.model.marks import mark
from scanner.model.values import OpenList, OpenMap, PartialJson, Unknown, contains_unknown, is_unknown, tf_set


def jsonencode(value: Any) -> Any:
    if isinstance(value, PartialJson):
        return PartialJson(value.value)
    if is_unknown(value):
        return Unknown("jsonencode(...)")
    if contains_unknown(value):
        return PartialJson(value)
    return json.dumps(value, separators=(",", ":"))


def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, Mapping):
            raise TypeError("merge expects maps")
        out.update(m)
    # a caller may still add keys to an open map, and so to what it is merged into
    return OpenMap(out) if any(isinstance(m, OpenMap) for m in maps) else out


def concat(*lists: Any) -> list[Any]:
    out = [x for lst in lists for x in lst]
    return OpenList(out) if any(isinstance(lst, OpenList) for lst in lists) else out


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in value:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _substr(text: str, offset: int, length: int) -> str:
    if offset < 0:  # counts from the end, as in Terraform
        offset = max(len(text) + offset, 0)
    return text[offset:] if length == -1 else text[offset : offset + length]


def _format(fmt: str, *args: Any) -> str:
    pieces = iter(args)
    return re.sub(r"%[-+ #0-9.]*[sdvfqt%]", lambda m: "%" if m.group(0) == "%%" else str(next(pieces)), fmt)


def _jsondecode(text: str) -> Any:
    return json.loads(text)


def _distinct(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for v in values:  # linear, not `v not in out`: hostile input has long lists
        key = json.dumps(v, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _join(sep: str, items: list[Any]) -> str:
    if len(sep) * len(items) > 1_000_000:  # a long separator times a long list
        raise ValueError("result too large")
    return sep.join(str(x) for x in items)


def _replace(text: str, old: str, new: str) -> str:
    grown = text.count(old) * (len(new) - len(old)) if old else (len(text) + 1) * len(new)
    if grown > 1_000_000:  # replace("aaaa...", "a", <long>) multiplies sizes
        raise ValueError("result too large")
    return text.replace(old, new)


def _range(*args: Any) -> list[Any]:
    if len(args) == 1:
        start, stop, step = 0, args[0], 1
    else:
        start, stop, step = args[0], args[1], args[2] if len(args) > 2 else (1 if args[1] >= args[0] else -1)
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in (start, stop, step)) or step == 0:
        raise ValueError("range expects whole numbers")
    if abs((stop - start) // step) > 1024:  # Terraform's own limit
        raise ValueError("range too long")
    return list(range(start, stop, step))


def _one(values: list[Any]) -> Any:
    if len(values) > 1:
        raise ValueError("one() of more than one element")
    return values[0] if values else None


def _zipmap(keys: list[Any], values: list[Any]) -> dict[str, Any]:
    if len(keys) != len(values):
        raise ValueError("zipmap of lists of different lengths")
    return {str(k): v for k, v in zip(keys, values, strict=True)}


def _setop(op: str) -> Callable[..., list[Any]]:
    def run(first: list[Any], *rest: list[Any]) -> list[Any]:
        result = _distinct(list(first))
        for other in rest:
            other_keys = {json.dumps(v, sort_keys=True, default=repr) for v in other}
            if op == "union":
                result = _distinct(result + list(other))
            elif op == "intersection":
                result = [v for v in result if json.dumps(v, sort_keys=True, default=repr) in other_keys]
            else:
                result = [v for v in result if json.dumps(v, sort_keys=True, default=repr) not in other_keys]
        return tf_set(result)

    return run


def _coalescelist(*lists: Any) -> Any:
    return next((lst for lst in lists if lst), [])


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": lambda v: v,  # handled specially (partial structures)
    "jsondecode": _jsondecode,
    "yamldecode": yamldecode,
    "merge": _merge,
    "concat": concat,
    "flatten": _flatten,
    "distinct": _distinct,
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "title": lambda s: s.title(),
    "trimspace": lambda s: s.strip(),
    "tostring": lambda s: s if isinstance(s, str) else json.dumps(s),
    "tonumber": lambda s: float(s) if "." in str(s) else int(s),
    "tobool": lambda s: s if isinstance(s, bool) else {"true": True, "false": False}[s],
    "tolist": list,
    "toset": tf_set,
    "tomap": dict,
    "join": _join,
    "split": lambda sep, s: s.split(sep),
    "replace": _replace,
    "format": _format,
    "lookup": lambda m, k, *d: m[k] if k in m or not d else d[0],  # KeyError: an error, as in Terraform
    "element": lambda lst, i: lst[int(i) % len(lst)],
    "length": len,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "contains": lambda lst, v: v in lst,
    "max": max,
    "min": min,
    "abs": abs,
    "range": _range,
    "one": _one,
    "zipmap": _zipmap,
    "sort": lambda lst: sorted(str(x) for x in lst),
    "reverse": lambda lst: list(reversed(lst)),
    "slice": lambda lst, a, b: lst[int(a) : int(b)],
    "setunion": _setop("union"),
    "setintersection": _setop("intersection"),
    "setsubtract": _setop("subtract"),
    "coalescelist": _coalescelist,
    "alltrue": lambda lst: all(x is True or x == "true" for x in lst),
    "anytrue": lambda lst: any(x is True or x == "true" for x in lst),
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "trimprefix": lambda s, p: s[len(p) :] if p and s.startswith(p) else s,
    "trimsuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
    # Terraform's marks: `sensitive(x)` is secret wherever it goes; `nonsensitive(x)` drops the mark
    # in Terraform, but nhi-guard still never prints the value
    "sensitive": mark,
    "nonsensitive": lambda v: v,
    "substr": lambda s, offset, length: _substr(s, int(offset), int(length)),
    "base64encode": lambda s: base64.b64encode(s.encode("utf-8")).decode("ascii"),
    "base64decode": lambda s: base64.b64decode(s, validate=True).decode("utf-8"),
}
