"""Evaluate HCL expressions from the Lark tree into three-valued Python values.

Only what Terraform knows statically is resolved: literals, variable defaults,
locals, references to literal attributes of resources in the same module, and a
set of pure functions. Everything else becomes :class:`Unknown`, never missing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from lark import Token, Tree

from scanner.model.marks import Finder, is_secret, mark
from scanner.model.values import PartialJson, Unknown, contains_unknown

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
#: Evaluation work allowed per module: one unit per expression node, plus the size (elements and
#: characters) of every value a reference hands out. References share values, so without a budget
#: forty locals that each double the previous one expand to 2**40 elements. Past the budget every
#: further value is unknown and the module gets one load error (docs/security.md).
FUEL = 10_000_000
#: Deepest evaluation nesting (about two steps per level of brackets or calls); deeper is unknown.
MAX_DEPTH = 200
#: Largest integer magnitude arithmetic produces (Terraform numbers are 512-bit floats at most).
_MAX_INT_BITS = 512
OVER_BUDGET = "evaluation budget exceeded"
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


class _TooDeep(Exception):  # control flow only: never leaves Evaluator.eval
    """Unwinds a too deeply nested expression to its attribute, which becomes unknown."""


class Resolver(Protocol):
    def resolve(self, path: list[Any], source: str) -> Any: ...


def _unescape(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            code = int(esc[1:], 16)
            # a lone surrogate (\ud800) or past U+10FFFF: no output could encode it
            return "\ufffd" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)
        return _ESCAPES.get(esc, "\\" + esc)

    return _ESCAPE_RE.sub(repl, text)


def _children(node: Tree) -> list[Tree]:
    """Sub-trees that carry meaning (no punctuation tokens, no newlines)."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


class Evaluator:
    """Turns expression trees into values; references go through a :class:`Resolver`."""

    def __init__(self, resolver: Resolver, parse_expr: Callable[[str], Tree | None]) -> None:
        self.resolver = resolver
        self.parse_expr = parse_expr
        self.depth = 0
        self.fuel = FUEL
        self.too_deep = False  # an expression was nested past MAX_DEPTH
        #: (file, line) of the expressions being evaluated, outermost first (see :meth:`at`)
        self.where: list[tuple[str, int | None]] = []
        #: where the budget ran out, where nesting went too deep, where evaluation failed: first only
        self.exhausted_at: tuple[str, int | None] | None = None
        self.too_deep_at: tuple[str, int | None] | None = None
        self.failed_at: tuple[str, int | None] | None = None
        self._sizes: dict[int, tuple[Any, int]] = {}  # id -> (value kept alive, size) of shared values
        self._marks = Finder()
        self._secret_in = False  # a sub-expression of the node being evaluated gave a marked value

    @property
    def exhausted(self) -> bool:
        return self.fuel < 0

    @contextlib.contextmanager
    def at(self, file: str, line: int | None) -> Iterator[None]:
        """Evaluate the expression written at ``file:line`` (an attribute, a local, a default), so a
        limit it hits can name it."""
        self.where.append((file, line))
        try:
            yield
        except BaseException:
            if self.failed_at is None:
                self.failed_at = (file, line)
            raise
        finally:
            self.where.pop()

    def _over_budget(self) -> Unknown:
        if self.exhausted_at is None and self.where:
            self.exhausted_at = self.where[-1]
        return Unknown(OVER_BUDGET)

    def charge(self, value: Any) -> Any:
        """Count what a shared value costs whoever walks it; past the budget it becomes unknown."""
        if isinstance(value, str):
            self.fuel -= len(value)
        elif isinstance(value, list | dict | PartialJson):
            self.fuel -= self._size(value)
        return self._over_budget() if self.fuel < 0 else value

    def _size(self, value: Any) -> int:
        """Elements plus characters, shared sub-values counted each time; stops past the budget."""
        hit = self._sizes.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        total, stack = 0, [value]
        while stack and total <= self.fuel:
            item = stack.pop()
            cached = self._sizes.get(id(item))
            if cached is not None and cached[0] is item:
                total += cached[1]
            elif isinstance(item, str):
                total += 1 + len(item)
            elif isinstance(item, dict):
                total += 1 + len(item)
                stack.extend(item.values())
            elif isinstance(item, list):
                total += 1 + len(item)
                stack.extend(item)
            elif isinstance(item, PartialJson):
                stack.append(item.value)
            else:
                total += 1
        self._sizes[id(value)] = (value, total)
        return total

    def eval(self, node: Tree | Token) -> Any:
        if isinstance(node, Token):
            return str(node)
        self.depth += 1
        self.fuel -= 1
        try:
            if self.fuel < 0:
                return self._over_budget()
            if self.depth > MAX_DEPTH:  # hostile nesting: give up on this value, not on the scan
                self.too_deep = True
                if self.too_deep_at is None and self.where:
                    self.too_deep_at = self.where[-1]
                raise _TooDeep
            method = getattr(self, "_" + node.data, None)
            if method is None:
                return Unknown(node.data)
            outer, self._secret_in = self._secret_in, False
            try:
                result = method(node)
            finally:
                inner, self._secret_in = self._secret_in, outer
            if inner or node.data in _MARK_SOURCES:
                result = self._sensitivity(node, result, inner)
            return result
        except _TooDeep:
            if self.depth > 1:
                raise
            # the whole attribute, not just its innermost part: `[[[...unknown]]]` is no known list
            return Unknown("deeply nested expression")
        finally:
            self.depth -= 1

    def _sensitivity(self, node: Tree, result: Any, inner: bool) -> Any:
        """Marks on what ``node`` computed, and whether its parent was handed a marked value.

        A node that was given a marked value and returns nothing marked has transformed it
        (``upper``, a template, ``jsonencode``, ``+``): all of its result is derived from the
        secret and is marked. A selector (an index, a conditional, ``lookup``, ``merge``) hands on
        elements as they are, each with its own mark or none, so it marks nothing.
        """
        if inner and not self._marks.has_secret(result) and not _selects(node):
            result = mark(result)
        if self._marks.has_secret(result):
            self._secret_in = True
        return result

    # --- terms -----------------------------------------------------------
    def _expr_term(self, node: Tree) -> Any:
        kids = _children(node)
        return self.eval(kids[0]) if kids else Unknown("expression")

    def _int_lit(self, node: Tree) -> Any:
        text = str(node.children[0])
        if len(text) > 150:  # past float range anyway; Python refuses int() of > 4300 digits
            return Unknown("number literal too large")
        return int(text)

    def _float_lit(self, node: Tree) -> Any:
        try:
            return float(str(node.children[0]))
        except ValueError:
            return Unknown("number literal")

    def _literal_value(self, node: Tree) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _identifier(self, node: Tree) -> Any:
        return self._traverse(node)

    def _keyword(self, node: Tree) -> Any:
        return str(node.children[0])

    def _string(self, node: Tree) -> Any:
        parts: list[Any] = []
        for part in node.children:
            if isinstance(part, Tree) and part.data == "string_part":
                inner = part.children[0]
                if isinstance(inner, Token):
                    if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                        parts.append(str(inner)[1:])
                    else:
                        parts.append(_unescape(str(inner)))
                elif inner.data == "interpolation":
                    parts.append(self.eval(_children(inner)[0]))
                else:  # template directives (%{ if }) make the text unknowable
                    return Unknown("template directive")
        return self._concat(parts)

    def _concat(self, parts: list[Any]) -> Any:
        if len(parts) == 1 and not isinstance(parts[0], str):
            return parts[0]  # "${var.x}" keeps the value's type
        if any(isinstance(p, Unknown) for p in parts):
            # Keep the template's shape: "${data.x.id}/resourceGroups/rg" is not "${data.x.id}"; but
            # never a secret's text, which would reach messages through the unknown's source.
            return Unknown("".join(_template_part(p) for p in parts))
        out = []
        for p in parts:
            if isinstance(p, bool):
                out.append("true" if p else "false")
            elif p is None:
                out.append("")
            elif isinstance(p, int | float | str):
                out.append(str(p))
            else:
                return Unknown("template")
        return "".join(out)

    def _heredoc_template(self, node: Tree, trim: bool = False) -> Any:
        raw = str(node.children[0])
        first_nl = raw.index("\n")
        body = raw[first_nl + 1 :].rstrip("\n").rstrip("\r")
        lines = body.split("\n")[:-1]  # drop the closing marker line
        if trim:
            indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            lines = [ln[cut:] for ln in lines]
        text = "\n".join(ln.rstrip("\r") for ln in lines) + ("\n" if lines else "")
        return self._interpolate_heredoc(text)

    def _heredoc_template_trim(self, node: Tree) -> Any:
        return self._heredoc_template(node, trim=True)

    def _interpolate_heredoc(self, text: str) -> Any:
        """The grammar keeps heredocs as one token, so find ``${...}`` here."""
        if "${" not in text and "%{" not in text:
            return text
        if "%{" in text.replace("%%{", ""):
            return Unknown("heredoc template directive")
        parts: list[Any] = []
        i = 0
        while i < len(text):
            j = text.find("${", i)
            if j < 0:
                parts.append(text[i:])
                break
            if j > 0 and text[j - 1] == "$":
                parts.append(text[i : j + 1])
                i = j + 2
                parts.append("{")
                continue
            parts.append(text[i:j])
            depth, k = 1, j + 2
            while k < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[k], 0)
                k += 1
            expr = self.parse_expr(text[j + 2 : k - 1])
            parts.append(self.eval(expr) if expr is not None else Unknown("heredoc interpolation"))
            i = k
        joined = self._concat([p for p in parts if p != ""] or [""])
        return joined

    def _template_string(self, node: Tree) -> Any:
        return Unknown("template string")

    def _tuple(self, node: Tree) -> Any:
        return [self.eval(c) for c in _children(node)]

    def _object(self, node: Tree) -> Any:
        out: dict[str, Any] = {}
        for elem in _children(node):
            key_node, value_node = _children(elem)[0], _children(elem)[-1]
            key = self._object_key(key_node)
            if isinstance(key, Unknown):
                return Unknown("object with computed key")
            out[str(key)] = self.eval(value_node)
        return out

    def _object_key(self, node: Tree) -> Any:
        inner = _children(node)[0] if _children(node) else node.children[0]
        if isinstance(inner, Tree) and inner.data == "expr_term":
            term = _children(inner)
            if term and term[0].data == "identifier":  # bare key: {owner = ...}
                return str(term[0].children[0])
        if isinstance(inner, Tree) and inner.data == "keyword":
            return str(inner.children[0])
        if isinstance(inner, Token):
            return str(inner)
        return self.eval(inner)

    def _conditional(self, node: Tree) -> Any:
        cond, yes, no = _children(node)
        test = self.eval(cond)
        if isinstance(test, bool):
            return self.eval(yes) if test else self.eval(no)
        return Unknown("conditional")

    def _binary_op(self, node: Tree) -> Any:
        lhs_node, term = _children(node)[:2]
        op_node, rhs_node = _children(term)[0], _children(term)[-1]
        op = str(op_node.children[0])
        lhs, rhs = self.eval(lhs_node), self.eval(rhs_node)
        if isinstance(lhs, Unknown) or isinstance(rhs, Unknown):
            return Unknown("expression")
        if op in _ARITHMETIC:  # on numbers only (Terraform converts "2"): never "x" * 10**9
            lhs, rhs = _as_number(lhs), _as_number(rhs)
            if lhs is None or rhs is None:
                return Unknown("expression")
        try:
            result = _BINARY[op](lhs, rhs)
        except (TypeError, ValueError, ZeroDivisionError, KeyError, OverflowError):
            return Unknown("expression")
        if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > _MAX_INT_BITS:
            return Unknown("expression")
        return result

    def _unary_op(self, node: Tree) -> Any:
        op = str(node.children[0])
        val = self.eval(node.children[1])
        if isinstance(val, Unknown):
            return val
        if op == "!" and isinstance(val, bool):
            return not val
        if op == "-" and isinstance(val, int | float):
            return -val
        return Unknown("expression")

    def _for_tuple_expr(self, node: Tree) -> Any:
        return Unknown("for expression")

    def _for_object_expr(self, node: Tree) -> Any:
        return Unknown("for expression")

    def _attr_splat_expr_term(self, node: Tree) -> Any:
        return self._splat(node)

    def _full_splat_expr_term(self, node: Tree) -> Any:
        return self._splat(node)

    def _splat(self, node: Tree) -> Any:
        path = self._path_of(_children(node)[0])
        if path:
            self.resolver.resolve(path[:3], ".".join(map(str, path)))  # records the reference
        return Unknown("splat expression")

    # --- traversals --------------------------------------------------------
    def _get_attr_expr_term(self, node: Tree) -> Any:
        return self._traverse(node)

    def _index_expr_term(self, node: Tree) -> Any:
        return self._traverse(node)

    def _path_of(self, node: Tree) -> list[Any] | None:
        """``aws_iam_role.x.name`` -> ["aws_iam_role", "x", "name"]; None if not a traversal."""
        if node.data == "expr_term":
            kids = _children(node)
            if len(kids) != 1:
                return None
            return self._path_of(kids[0])
        if node.data == "identifier":
            return [str(node.children[0])]
        if node.data == "get_attr_expr_term":
            base, attr = _children(node)
            head = self._path_of(base)
            if head is None:
                return None
            return [*head, _label_of(_children(attr)[0])]
        if node.data == "index_expr_term":
            base, index = _children(node)
            head = self._path_of(base)
            if head is None:
                return None
            if index.data == "short_index":
                return [*head, int(str(index.children[1]))]
            key = self.eval(_children(index)[0])
            return [*head, key]
        return None

    def _traverse(self, node: Tree) -> Any:
        path = self._path_of(node)
        if path is None:
            # e.g. jsondecode(x).a or [1,2][0]: evaluate the base, then index.
            kids = _children(node)
            base = self.eval(kids[0])
            step = kids[1]
            key: Any
            if step.data == "get_attr":
                key = _label_of(_children(step)[0])
            elif step.data == "short_index":
                key = int(str(step.children[1]))
            else:
                key = self.eval(_children(step)[0])
            return index_value(base, key)
        source = ".".join(str(p) for p in path if not isinstance(p, Unknown))
        return self.charge(self.resolver.resolve(path, source))

    # --- functions -----------------------------------------------------------
    def _function_call(self, node: Tree) -> Any:
        kids = _children(node)
        name = str(kids[0].children[0])
        if len(kids) > 1 and kids[1].data == "identifier":  # provider::ns::fn
            return Unknown(f"{name}::...")
        args_node = next((k for k in kids if k.data == "arguments"), None)
        arg_nodes = _children(args_node) if args_node is not None else []
        expand = args_node is not None and any(
            isinstance(t, Token) and t.type == "ELLIPSIS" for t in args_node.children
        )
        if name in ("try", "coalesce"):
            values = [self.eval(a) for a in arg_nodes]
            for v in values:
                if isinstance(v, Unknown):
                    return Unknown(f"{name}(...)")
                if v is not None and v != "":
                    return v
            return None
        if name == "can":
            return Unknown("can(...)")
        fn = FUNCTIONS.get(name)
        args = [self.eval(a) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return Unknown(f"{name}(...)")
            args.extend(last)
        if fn is None or self.fuel < 0:
            return Unknown(f"{name}(...)")
        if name == "jsonencode":
            return _jsonencode(args[0] if args else None)
        if any(isinstance(a, Unknown) for a in args):
            return Unknown(f"{name}(...)")
        try:
            return fn(*args)
        except (
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            AttributeError,
            json.JSONDecodeError,
            OverflowError,
            ZeroDivisionError,  # element([], 1)
            RecursionError,  # jsondecode of text nested too deeply
            StopIteration,  # format() with fewer arguments than verbs
            binascii.Error,  # base64decode of text that is not base64
        ):
            return Unknown(f"{name}(...)")


def _label_of(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    return str(node.children[0])


def index_value(base: Any, key: Any) -> Any:
    if isinstance(base, Unknown) or isinstance(key, Unknown):
        return Unknown("index")
    try:
        if isinstance(base, list):
            return base[int(key)]
        if isinstance(base, Mapping):
            return base.get(str(key), Unknown(f"[{key}]"))
    except (ValueError, IndexError, TypeError):
        pass
    return Unknown("index")


def _jsonencode(value: Any) -> Any:
    if isinstance(value, PartialJson):
        return PartialJson(value.value)
    if isinstance(value, Unknown):
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
    return out


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


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": lambda v: v,  # handled specially (partial structures)
    "jsondecode": _jsondecode,
    "merge": _merge,
    "concat": lambda *ls: [x for lst in ls for x in lst],
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
    "toset": _distinct,
    "tomap": dict,
    "join": _join,
    "split": lambda sep, s: s.split(sep),
    "replace": _replace,
    "format": _format,
    "lookup": lambda m, k, *d: m[k] if k in m else (d[0] if d else Unknown("lookup")),
    "element": lambda lst, i: lst[int(i) % len(lst)],
    "length": len,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "contains": lambda lst, v: v in lst,
    "max": max,
    "min": min,
    "abs": abs,
    # Terraform's marks: `sensitive(x)` is secret wherever it goes; `nonsensitive(x)` drops the mark
    # in Terraform, but nhi-guard still never prints the value
    "sensitive": mark,
    "nonsensitive": lambda v: v,
    "substr": lambda s, offset, length: _substr(s, int(offset), int(length)),
    "base64encode": lambda s: base64.b64encode(s.encode("utf-8")).decode("ascii"),
    "base64decode": lambda s: base64.b64decode(s, validate=True).decode("utf-8"),
}

_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})

#: nodes whose value can be marked without a marked operand: references (a sensitive variable, a
#: credential attribute) and calls (`sensitive(...)`); a marked one marks what uses it
_MARK_SOURCES = frozenset({"identifier", "get_attr_expr_term", "index_expr_term", "attr_splat_expr_term",
                           "full_splat_expr_term", "function_call"})  # fmt: skip
#: functions that return (some of) their arguments' elements as they are, marks and all
_SELECTORS = frozenset({
    "try", "coalesce", "coalescelist", "lookup", "element", "one", "concat", "flatten", "compact", "merge",
    "values", "keys", "slice", "reverse", "tolist", "toset", "tomap", "distinct", "nonsensitive",
})  # fmt: skip


def _template_part(part: Any) -> str:
    if is_secret(part):
        return "${(sensitive)}"
    return part if isinstance(part, str) else "${" + getattr(part, "source", "") + "}"


def _selects(node: Tree) -> bool:
    """``node`` picks values out of others (an index, a conditional, a selecting function)."""
    if node.data in ("conditional", "expr_term", "get_attr_expr_term", "index_expr_term"):
        return True
    if node.data == "function_call":
        kids = _children(node)
        return bool(kids) and str(kids[0].children[0]) in _SELECTORS
    return False


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and len(value) <= 150:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "&&": lambda a, b: bool(a and b),
    "||": lambda a, b: bool(a or b),
}
