"""Terraform JSON configuration (``*.tf.json``) as HCL, line for line.

Terraform's JSON syntax says the same as native syntax: ``{"resource": {"aws_iam_user":
{"ci": {...}}}}`` is ``resource "aws_iam_user" "ci" {...}``, strings are templates
(``"${var.name}"``), and a ``"//"`` key in a block is a comment. This module rewrites the
JSON as native HCL, one statement a line, and remembers the JSON line of each generated line:
the HCL loader evaluates the result like any ``.tf`` file, then :func:`remap` gives resources,
attributes, waiver comments and errors the JSON file's own lines.

What native syntax tells by shape, JSON leaves to the provider schema: whether
``"rotation_rules": {...}`` is a nested block or a map attribute. Objects are nested blocks
unless the key names a map attribute (``tags``, ``labels``, ...) or the object holds a value
a block cannot (an array of scalars is fine, a key that is not an identifier is not).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from scanner.model.resource import Document, LoadError

#: nesting deeper than this is refused; native HCL this deep is refused by the evaluator too
MAX_DEPTH = 100

_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_TRAVERSAL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")
#: top-level block types read, and how many labels they take
_TOP = {"resource": 2, "data": 2, "provider": 1, "variable": 1, "output": 1, "locals": 0, "module": 1}
#: top-level block types that hold no resource (of ``terraform``, only a backend or cloud block
#: is read: it makes the directory a root module)
_OTHER_TOP = frozenset({"//", "terraform", "moved", "import", "removed", "check"})
#: attributes whose object value is a map, never a nested block
_MAP_ATTRS = frozenset(
    {
        "tags",
        "tags_all",
        "labels",
        "effective_labels",
        "default_labels",
        "annotations",
        "string_data",
        "binary_data",
        "triggers",
        "variables",
        "environment_variables",
        "parameters",
        "attributes",
        "custom_headers",
        "secret_data",
    }
)
#: block types whose body holds expressions only (objects there are object values)
_EXPRESSION_BODIES = frozenset({"variable", "output", "locals", "module"})


@dataclass
class _Obj:
    """A JSON object with the line of each key (keys may repeat)."""

    line: int
    pairs: list[tuple[str, int, Any]]


class TfJsonError(ValueError):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def looks_like_config(data: Any) -> bool:
    """A JSON document shaped like Terraform JSON configuration."""
    return isinstance(data, dict) and bool(set(data) & set(_TOP)) and set(data) <= {*_TOP, *_OTHER_TOP}


def _positions(text: str) -> Any:
    """JSON (already validated by ``json.loads``) with the line of every object key."""
    root: Any = None
    stack: list[Any] = []
    key: list[tuple[str, int] | None] = []
    line, last = 1, 0
    for m in _TOKEN_RE.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        tok = m.group()
        if tok in (":", ","):
            continue
        if tok in ("}", "]"):
            done = stack.pop()
            key.pop()
            value: Any = done
        elif tok in ("{", "["):
            if len(stack) >= MAX_DEPTH:
                raise TfJsonError(line, f"JSON nested more than {MAX_DEPTH} levels deep")
            stack.append(_Obj(line, []) if tok == "{" else [])
            key.append(None)
            continue
        else:
            value = json.loads(tok)
            top = stack[-1] if stack else None
            if isinstance(top, _Obj) and key[-1] is None:
                key[-1] = (value, line)
                continue
        if not stack:
            root = value
            continue
        top = stack[-1]
        if isinstance(top, _Obj):
            name, at = key[-1] or ("", line)
            top.pairs.append((name, at, value))
            key[-1] = None
        else:
            top.append(value)
    return root


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.lines: list[int] = []  # the JSON line of each generated line

    def statement(self, line: int, text: str) -> None:
        self.out.append(text)
        self.lines.append(line)


def _template_end(text: str, i: int) -> int | None:
    """The index after the ``}`` that closes a ``${`` or ``%{`` whose body starts at ``i``."""
    depth, quoted = 1, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


#: a literal ``${`` / ``%{``: as escapes, because python-hcl2 rejects ``"$${"`` without a closing brace
_LITERAL_OPENER = {"$": "\\u0024{", "%": "\\u0025{"}


def _string(value: str) -> str:
    """A JSON string as a native quoted template: text escaped, ``${...}`` and ``%{...}`` kept as written."""
    out = []
    i, n, closable = 0, len(value), True
    while i < n:
        if value.startswith(("$${", "%%{"), i):  # an escaped template sequence: the literal text
            out.append(_LITERAL_OPENER[value[i]])
            i += 3
            continue
        if value.startswith(("${", "%{"), i):
            end = _template_end(value, i + 2) if closable else None
            if end is not None:
                out.append(value[i:end].replace("\n", " ").replace("\r", " "))
                i = end
                continue
            closable = False  # nothing later closes either: the rest is text (and stays linear)
            out.append(_LITERAL_OPENER[value[i]])
            i += 2
            continue
        ch = value[i]
        i += 1
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _expr(value: Any) -> str:
    """A JSON value in expression mode as a native HCL expression."""
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, list):
        return "[" + ", ".join(_expr(v) for v in value) + "]"
    return "{" + ", ".join(f"{_string(k)} = {_expr(v)}" for k, _at, v in value.pairs) + "}"


def _plain(value: Any) -> Any:
    """An object read with its lines, as JSON can write it (a ``"//"`` comment holding an object)."""
    return {k: v for k, _, v in value.pairs} if isinstance(value, _Obj) else str(value)


def _is_block(name: str, value: Any, resource_type: str) -> bool:
    if name in _MAP_ATTRS or (name == "metadata" and not resource_type.startswith("kubernetes_")):
        return False
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, _Obj) and all(_IDENT_RE.match(k) for k, _, _ in v.pairs) for v in items)


def _body(w: _Writer, obj: _Obj, kind: str, resource_type: str) -> None:
    for name, line, value in obj.pairs:
        if name == "//":
            for part in (value if isinstance(value, str) else json.dumps(value, default=_plain)).split("\n"):
                w.statement(line, "# " + part.replace("\r", " "))
            continue
        if not _IDENT_RE.match(name):
            raise TfJsonError(line, "a block attribute name is not an identifier")
        if name == "provider" and isinstance(value, str) and _TRAVERSAL_RE.match(value):
            w.statement(line, f"provider = {value}")
        elif name == "depends_on" and isinstance(value, list):
            refs = [v for v in value if isinstance(v, str) and _TRAVERSAL_RE.match(v)]
            w.statement(line, f"depends_on = [{', '.join(refs)}]")
        elif name == "dynamic" and isinstance(value, _Obj):
            for label, at, inner in value.pairs:
                for item in inner if isinstance(inner, list) else [inner]:
                    if isinstance(item, _Obj):
                        w.statement(at, f"dynamic {_string(label)} {{")
                        _body(w, item, "dynamic", resource_type)
                        w.statement(at, "}")
        elif kind not in _EXPRESSION_BODIES and _is_block(name, value, resource_type):
            for item in value if isinstance(value, list) else [value]:
                w.statement(item.line, f"{name} {{")
                _body(w, item, "block", resource_type)
                w.statement(item.line, "}")
        else:
            w.statement(line, f"{name} = {_expr(value)}")


def _labelled(w: _Writer, kind: str, value: Any, labels: list[str], wanted: int, line: int) -> None:
    """``{"aws_iam_user": {"ci": {...}}}`` under ``resource``: one level per label."""
    if len(labels) == wanted:
        for body in value if isinstance(value, list) else [value]:
            if not isinstance(body, _Obj):
                raise TfJsonError(line, f"the body of {kind} {' '.join(labels)} is not an object")
            head = " ".join([kind, *(_string(label) for label in labels)])
            at = body.line if isinstance(value, list) else line
            w.statement(at, head + " {")
            _body(w, body, kind, labels[0] if kind in ("resource", "data") else "")
            w.statement(at, "}")
        return
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, _Obj):
            raise TfJsonError(line, f"{kind} must be an object of labels")
        for label, at, inner in item.pairs:
            if label != "//":
                _labelled(w, kind, inner, [*labels, label], wanted, at)


def to_hcl(text: str) -> tuple[str, list[int]]:
    """Native HCL for a ``.tf.json`` file, and the JSON line of each of its lines.

    Raises :class:`TfJsonError` for what it cannot read.
    """
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise TfJsonError(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except ValueError:  # an integer of more than 4300 digits
        raise TfJsonError(None, "invalid JSON: a number is too long to read") from None
    except RecursionError:
        raise TfJsonError(None, "JSON nested too deeply to read") from None
    root = _positions(text)
    if not isinstance(root, _Obj):
        raise TfJsonError(1, "Terraform JSON configuration must be an object")
    w = _Writer()
    for kind, line, value in root.pairs:
        if kind == "terraform":
            _root_markers(w, value, line)
        if kind not in _TOP:
            continue  # comments, and blocks that hold no resource
        _labelled(w, kind, value, [], _TOP[kind], line)
    return "\n".join(w.out) + "\n", w.lines


def _root_markers(w: _Writer, value: Any, line: int) -> None:
    """``"terraform": {"backend": {"s3": {...}}}`` -> ``terraform { backend "s3" {} }``: all that is
    read of it is that there is a backend or cloud block."""
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, _Obj):
            continue
        for name, at, inner in item.pairs:
            if name == "cloud":
                w.statement(at, "terraform {")
                w.statement(at, "cloud {}")
                w.statement(at, "}")
            elif name == "backend" and isinstance(inner, _Obj):
                for label, label_at, _ in inner.pairs:
                    w.statement(label_at, "terraform {")
                    w.statement(label_at, f"backend {_string(label)} {{}}")
                    w.statement(label_at, "}")


def native(file: str, text: str, maps: dict[str, list[int]], errors: list[LoadError]) -> str | None:
    """The text of a ``.tf`` or ``.tf.json`` file as native HCL; a ``.tf.json`` file's line map
    goes into ``maps``. None (and an error) when a ``.tf.json`` file cannot be read."""
    if not file.endswith(".tf.json"):
        return text
    try:
        text, maps[file] = to_hcl(text)
    except TfJsonError as exc:
        errors.append(LoadError(file, exc.line, f"Terraform JSON: {exc}"))
        return None
    return text


def remap(doc: Document, maps: dict[str, list[int]]) -> None:
    """Generated-HCL lines -> JSON lines, for everything loaded from a ``.tf.json`` file."""

    def json_line(file: str, line: int) -> int:
        lines = maps[file]
        return lines[line - 1] if 0 < line <= len(lines) else (lines[-1] if lines else 1)

    for res in doc.resources:
        if res.file in maps:
            res.line = json_line(res.file, res.line)
            res.lines = {k: json_line(res.file, v) for k, v in res.lines.items()}
            res.comments = [(json_line(res.file, n), text) for n, text in res.comments]
    for err in doc.errors:
        if err.file in maps and err.line:
            err.line = json_line(err.file, err.line)
