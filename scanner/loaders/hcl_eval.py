"""Evaluate HCL expressions from the Lark tree into three-valued Python values.

Only what Terraform knows statically is resolved: literals, variable defaults,
locals, references to literal attributes of resources in the same module, and a
set of pure functions. Everything else becomes :class:`Unknown`, never missing.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from lark import Token, Tree

from scanner.loaders.hcl_functions import FUNCTIONS, jsonencode
from scanner.model.marks import Finder, is_secret, mark
from scanner.model.values import OpenMap, PartialJson, Unknown, is_unknown

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
#: longest text an unknown template keeps of its shape (for messages and scope patterns)
_MAX_SHAPE = 1000
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


class Invalid(Unknown):
    """What Terraform reports as an error: an attribute of ``null``, a key a known map lacks, a
    function given what it cannot take. Rules see an unknown value; ``try()`` and ``can()`` see the
    error, as in Terraform (``try(var.cfg.enabled, false)`` is ``false`` when ``cfg`` is null)."""


class ResourceObject(dict[str, Any]):
    """A resource instance's attributes as a value (``aws_iam_user.u["a"]``, ``each.value`` over a
    resource): an attribute it lacks is computed at apply, so unknown, not an error."""


class _TooDeep(Exception):  # control flow only: never leaves Evaluator.eval
    """Unwinds a too deeply nested expression to its attribute, which becomes unknown."""


class Resolver(Protocol):
    def resolve(self, path: list[Any], source: str) -> Any: ...


class FileReader(Protocol):
    """A resolver that can also read files for ``file()`` and ``templatefile()``."""

    def read_file(self, path: str) -> Any: ...


class _Closed:
    """The scope of a ``templatefile`` template: only its own variables exist."""

    def resolve(self, path: list[Any], source: str) -> Any:
        return Unknown(source)


#: Strings that stand for unknown parts while a templated JSON document is decoded
#: (:meth:`Evaluator._template_json`). NUL cannot occur in JSON text, so no document can forge one.
_HOLE = "\\u0000nhi-guard-unknown-{}\\u0000"
_HOLE_RE = re.compile("\x00nhi-guard-unknown-(\\d+)\x00")


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
        #: ``each`` / ``count`` of the block instance being evaluated ({"each": {"key": .., "value": ..}})
        self.binding: dict[str, Any] = {}
        #: names bound by ``for`` expressions and template variables, innermost last
        self.scopes: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def within(self, resolver: Resolver, binding: dict[str, Any] | None = None) -> Iterator[None]:
        """Evaluate in another context (a module instance, a block instance): its references, its
        ``each``/``count``, and none of the ``for`` variables of the expression that led here."""
        saved = self.resolver, self.binding, self.scopes
        self.resolver, self.binding, self.scopes = resolver, binding or {}, []
        try:
            yield
        finally:
            self.resolver, self.binding, self.scopes = saved

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
        return self.concat(parts)

    def concat(self, parts: list[Any]) -> Any:
        if len(parts) == 1 and not isinstance(parts[0], str):
            return parts[0]  # "${var.x}" keeps the value's type
        if any(is_unknown(p) for p in parts):
            if any(isinstance(p, Invalid) for p in parts):
                return Invalid("template")
            # Keep the template's shape: "${data.x.id}/resourceGroups/rg" is not "${data.x.id}"; but
            # never a secret's text, which would reach messages through the unknown's source.
            # Capped: a shape holds the shapes it was made from, and templates of templates of one
            # value used twice would double it at every level.
            shape = "".join(_template_part(p) for p in parts)
            return Unknown(shape if len(shape) <= _MAX_SHAPE else shape[: _MAX_SHAPE - 3] + "...")
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
        parts = [p for p in parts if p != ""] or [""]
        joined = self.concat(parts)
        if is_unknown(joined) and not isinstance(joined, PartialJson) and len(parts) > 1:
            structured = self._template_json(parts)
            return joined if structured is None else structured
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
            if is_unknown(key):
                return Unknown("object with computed key")
            text = str(key)
            out[mark(text) if is_secret(key) else text] = self.eval(value_node)  # str() drops the mark
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
        return test if isinstance(test, Invalid) else Unknown("conditional")

    def _binary_op(self, node: Tree) -> Any:
        lhs_node, term = _children(node)[:2]
        op_node, rhs_node = _children(term)[0], _children(term)[-1]
        op = _operator(str(op_node.children[0]))
        lhs, rhs = self.eval(lhs_node), self.eval(rhs_node)
        if isinstance(lhs, Invalid) or isinstance(rhs, Invalid):
            return Invalid("expression")
        # a known operand decides: `false && <unknown>` is false, `true || <unknown>` is true
        if op == "&&" and (lhs is False or rhs is False):
            return False
        if op == "||" and (lhs is True or rhs is True):
            return True
        if is_unknown(lhs) or is_unknown(rhs):
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
        if is_unknown(val):
            return val
        if op == "!" and isinstance(val, bool):
            return not val
        if op == "-" and isinstance(val, int | float):
            return -val
        return Unknown("expression")

    def _for_items(self, intro: Tree) -> list[dict[str, Any]] | Unknown:
        """One scope per element of a ``for`` expression's collection, in Terraform's order."""
        parts = _children(intro)
        names = [str(p.children[0]) for p in parts[:-1]]
        collection = self.eval(parts[-1])
        if is_unknown(collection) or collection is None:
            return Unknown("for expression")
        if isinstance(collection, Mapping):
            pairs: list[tuple[Any, Any]] = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return Unknown("for expression")
        self.fuel -= len(pairs)
        if len(names) == 1:
            return [{names[0]: v} for _, v in pairs]
        return [{names[0]: k, names[1]: v} for k, v in pairs]

    def _for_run(self, node: Tree, produce: Callable[[list[Tree]], Any]) -> Any:
        kids = _children(node)
        items = self._for_items(kids[0])
        if isinstance(items, Unknown):  # not is_unknown: mypy narrows the list below only from isinstance
            return items
        cond = next((k for k in kids if k.data == "for_cond"), None)
        body = [k for k in kids[1:] if k.data != "for_cond"]
        out = []
        for scope in items:
            if self.fuel < 0:
                return Unknown(OVER_BUDGET)
            self.scopes.append(scope)
            try:
                if cond is not None:
                    keep = self.eval(_children(cond)[0])
                    if not isinstance(keep, bool):
                        return Unknown("for expression")
                    if not keep:
                        continue
                out.append(produce(body))
            finally:
                self.scopes.pop()
        return out

    def _for_tuple_expr(self, node: Tree) -> Any:
        return self._for_run(node, lambda body: self.eval(body[0]))

    def _for_object_expr(self, node: Tree) -> Any:
        grouped = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in node.children)
        pairs = self._for_run(node, lambda body: (self.eval(body[0]), self.eval(body[1])))
        if is_unknown(pairs):
            return pairs
        out: dict[str, Any] = {}
        for key, value in pairs:
            if is_unknown(key) or not isinstance(key, str | int | float | bool):
                return Unknown("for expression with a computed key")
            key = _key_text(key)
            if grouped:
                out.setdefault(key, []).append(value)
            elif key in out:
                return Unknown("for expression with duplicate keys")  # an error in Terraform
            else:
                out[key] = value
        return out

    def _attr_splat_expr_term(self, node: Tree) -> Any:
        return self._splat(node)

    def _full_splat_expr_term(self, node: Tree) -> Any:
        return self._splat(node)

    def _splat(self, node: Tree) -> Any:
        base_node, splat = _children(node)
        steps = _children(splat)
        path = self._path_of(base_node)
        if path and steps and steps[0].data == "get_attr":  # records `aws_iam_user.u.arn` for `u[*].arn`
            self.resolver.resolve([*path, _label_of(_children(steps[0])[0])], ".".join(map(str, path)))
        base = self.eval(base_node)
        if is_unknown(base):
            return Unknown("splat expression")
        items = [] if base is None else base if isinstance(base, list) else [base]
        out = []
        for item in items:
            for step in steps:
                item = index_value(item, self._step_key(step))
            out.append(item)
        return out

    def _step_key(self, step: Tree) -> Any:
        if step.data == "get_attr":
            return _label_of(_children(step)[0])
        if step.data == "short_index":
            return int(str(step.children[1]))
        return self.eval(_children(step)[0])

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
            return index_value(self.eval(kids[0]), self._step_key(kids[1]))
        source = ".".join(str(p) for p in path if not is_unknown(p))
        head = path[0]
        for scope in reversed(self.scopes):
            if head in scope:
                return descend(scope[head], path[1:], source)
        if head in ("each", "count"):
            bound = self.binding.get(str(head))
            return Unknown(source) if bound is None else descend(bound, path[1:], source)
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
        if name == "try":  # the first argument that is not an error (null included)
            for a in arg_nodes:
                v = self.eval(a)
                if not isinstance(v, Invalid):
                    return Unknown("try(...)") if is_unknown(v) and not isinstance(v, PartialJson) else v
            return Invalid("try(...)")
        if name == "coalesce":
            values = [self.eval(a) for a in arg_nodes]
            for v in values:
                if is_unknown(v):
                    return v if isinstance(v, Invalid) else Unknown(f"{name}(...)")
                if v is not None and v != "":
                    return v
            return None
        if name == "can":
            v = self.eval(arg_nodes[0]) if arg_nodes else Invalid("can()")
            return False if isinstance(v, Invalid) else Unknown("can(...)") if is_unknown(v) else True
        if name in ("file", "templatefile", "fileexists"):
            return self._file_function(name, [self.eval(a) for a in arg_nodes])
        fn = FUNCTIONS.get(name)
        args = [self.eval(a) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if is_unknown(last):
                return Unknown(f"{name}(...)")
            args.extend(last)
        if fn is None or self.fuel < 0:
            return Unknown(f"{name}(...)")
        if any(isinstance(a, Invalid) for a in args):
            return Invalid(f"{name}(...)")
        if name == "jsonencode":
            return jsonencode(args[0] if args else None)
        if any(is_unknown(a) for a in args):
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
            return Invalid(f"{name}(...)")  # an error in Terraform too

    # --- files ---------------------------------------------------------------
    def _file_function(self, name: str, args: list[Any]) -> Any:
        """``file``, ``fileexists`` and ``templatefile``, through the resolver (which decides
        what may be read: scanner/loaders/hcl.py)."""
        read = getattr(self.resolver, "read_file", None)
        if read is None or not args or not isinstance(args[0], str):
            return Unknown(f"{name}(...)")
        text = read(args[0])  # the text; None: no such file; Unknown: not read
        if name == "fileexists":
            return text if is_unknown(text) else text is not None
        if text is None or is_unknown(text):
            return Unknown(f"{name}(...)")
        self.fuel -= len(text)
        if name == "file":
            return text
        variables = args[1] if len(args) > 1 else {}
        if not isinstance(variables, Mapping):
            return Unknown("templatefile(...)")
        with self.within(_Closed()):
            self.scopes.append(dict(variables))
            return self._interpolate_heredoc(text)

    def _template_json(self, parts: list[Any]) -> Any:
        """A JSON document written as a template whose interpolations are partly unknown
        (``"Resource": "${bucket_arn}"``): its structure, with the unknown parts as :class:`Unknown`.

        Each unknown part becomes a placeholder (a quoted one outside JSON strings), the text is
        decoded, and strings holding a placeholder become unknown. None when it is not JSON."""
        text: list[str] = []
        in_string = escaped = False
        for n, part in enumerate(parts):
            if is_unknown(part):
                hole = _HOLE.format(n)
                text.append(hole if in_string else f'"{hole}"')
                continue
            if isinstance(part, bool):
                part = "true" if part else "false"
            elif isinstance(part, int | float):
                part = str(part)
            elif part is None:
                part = ""
            elif not isinstance(part, str):
                return None
            for ch in part:  # where the text is inside a JSON string, at the end of this part
                if escaped:
                    escaped = False
                elif ch == "\\" and in_string:
                    escaped = True
                elif ch == '"':
                    in_string = not in_string
            text.append(part)
        joined = "".join(text)
        if not joined.lstrip().startswith(("{", "[")):
            return None
        try:
            decoded = json.loads(joined)
        except (ValueError, RecursionError):
            return None
        return PartialJson(_fill_holes(decoded), "templated JSON")


def _fill_holes(value: Any) -> Any:
    if isinstance(value, str):
        return Unknown("templated JSON") if _HOLE_RE.search(value) else value
    if isinstance(value, list):
        return [_fill_holes(v) for v in value]
    if isinstance(value, dict):
        if any(_HOLE_RE.search(k) for k in value):
            return Unknown("templated JSON")
        return {k: _fill_holes(v) for k, v in value.items()}
    return value


def descend(value: Any, rest: list[Any], source: str) -> Any:
    """``value`` followed along attribute names and indexes; unknown where a step is.

    A step a known value cannot take (an attribute of null, a key a known map lacks, an index
    past the end) is :class:`Invalid`, as it is an error in Terraform, except in a resource's
    attributes (computed ones are not there) and a map a caller may add to.
    """
    for step in rest:
        if is_unknown(value):
            return value if isinstance(value, Invalid) else Unknown(source)
        if isinstance(value, Mapping) and str(step) in value:
            value = value[str(step)]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        elif isinstance(value, ResourceObject | OpenMap) or is_unknown(step):
            return Unknown(source)
        else:
            return Invalid(source)
    return value


def _operator(text: str) -> str:
    """A binary operator's token text without what the post-lexer merged in front of it: a line
    break (and comments) before the operator, where the expression goes on (``(1\n + 2)``)."""
    text = text.rstrip()
    return text[-2:] if text[-2:] in ("==", "!=", "<=", ">=", "&&", "||") else text[-1:]


def _key_text(key: Any) -> str:
    """A map key as Terraform converts it to a string (still marked when it came from a secret)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    text = str(int(key)) if isinstance(key, float) and key.is_integer() else str(key)
    return mark(text) if is_secret(key) else text


def _label_of(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    return str(node.children[0])


def index_value(base: Any, key: Any) -> Any:
    if is_unknown(base) or is_unknown(key):
        return Unknown("index")
    try:
        if isinstance(base, list):
            return base[int(key)]
        if isinstance(base, Mapping):
            return base.get(str(key), Unknown(f"[{key}]"))
    except (ValueError, IndexError, TypeError):
        pass
    return Unknown("index")


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
