"""Which GitHub owners a Workload Identity provider's ``attribute_condition`` admits.

An attribute condition is a CEL expression over the token's claims (``assertion.X``) and the
provider's mapped attributes (``attribute.X``, ``google.subject``). Google evaluates it with
CEL's own semantics, which this module follows for the subset conditions use:

* ``==``, ``!=``, ``in [...]`` compare exactly; ``&&``, ``||``, ``!`` and parentheses;
* ``startsWith``, ``endsWith``, ``contains`` are plain string tests;
* ``matches`` is an RE2 *search*: unanchored unless the pattern says ``^`` / ``$``, so
  ``assertion.repository_owner.matches('acme')`` also admits ``evil-acme``.

The question asked is the one that matters for GitHub, where every repository on GitHub can get
a token from the same issuer: does every token the condition admits come from one of a few named
owners (an organization or user)? :func:`owner_scope` answers PINNED (yes), OPEN (no: some
owner's tokens pass whatever it is called) or UNKNOWN (the expression uses something this
module does not read; then nothing is reported).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PINNED, OPEN, UNKNOWN = "pinned", "open", "unknown"

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>\d+)
      | (?P<op>&&|\|\||==|!=|[!()\[\],.])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

#: GitHub claims whose value names the owner first (``acme``, ``acme/app``, ``acme/app/.github/...``)
_OWNER_CLAIMS = {"repository_owner", "repository_owner_id"}
_PATH_CLAIMS = {"repository", "job_workflow_ref", "workflow_ref"}
#: ``repo:acme/`` (default sub) or ``repository_owner:acme:`` / ``repository_owner_id:42:`` (custom sub)
_SUB_OWNER_PREFIX_RE = re.compile(r"^(?:repo:[^/:*]+/|repository_owner(?:_id)?:[^:*]+:)", re.IGNORECASE)
_REGEX_META = set(".^$*+?()[]{}|\\")


class _Unreadable(Exception):
    pass


@dataclass(frozen=True)
class _Node:
    """``or``/``and`` (``args``: nodes), ``not`` (one node), ``cmp`` (left, op, right), ``call`` (target, method,
    argument), ``lit`` (a string, number, bool or tuple of strings), ``ref`` (a dotted path)."""

    kind: str
    args: tuple[Any, ...]


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise _Unreadable(text[pos:])
        out.append(m.group(m.lastgroup or ""))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the CEL subset attribute conditions use."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        if self.i >= len(self.toks) or (want is not None and self.toks[self.i] != want):
            raise _Unreadable(want or "end")
        self.i += 1
        return self.toks[self.i - 1]

    def parse(self) -> _Node:
        node = self.binary("||")
        if self.i != len(self.toks):
            raise _Unreadable("trailing input")
        return node

    def binary(self, op: str) -> _Node:
        read = (lambda: self.binary("&&")) if op == "||" else self.unary
        parts = [read()]
        while self.peek() == op:
            self.take()
            parts.append(read())
        return parts[0] if len(parts) == 1 else _Node("or" if op == "||" else "and", tuple(parts))

    def unary(self) -> _Node:
        if self.peek() == "!":
            self.take()
            return _Node("not", (self.unary(),))
        left = self.primary()
        if self.peek() in ("==", "!=", "in"):
            op = self.take()
            return _Node("cmp", (left, op, self.primary()))
        return left

    def primary(self) -> _Node:
        tok = self.take()
        if tok[0] in "'\"":
            return _Node("lit", (re.sub(r"\\(.)", r"\1", tok[1:-1]),))
        if tok.isdigit():
            return _Node("lit", (tok,))
        if tok == "(":
            node = self.binary("||")
            self.take(")")
            return node
        if tok == "[":
            items: list[Any] = []
            while self.peek() != "]":
                item = self.primary()
                if item.kind != "lit" or not isinstance(item.args[0], str):
                    raise _Unreadable("list item")
                items.append(item.args[0])
                if self.peek() == ",":
                    self.take()
            self.take("]")
            return _Node("lit", (tuple(items),))
        if tok in ("true", "false"):
            return _Node("lit", (tok == "true",))
        if not re.fullmatch(r"[A-Za-z_]\w*", tok):
            raise _Unreadable(tok)
        return self.member(tok)

    def member(self, root: str) -> _Node:
        path = [root]
        while self.peek() in (".", "[", "("):
            tok = self.take()
            if tok == "(":  # a function or macro call (`has(...)`, `size(...)`): nothing this module reads
                depth = 1
                while depth:
                    tok = self.take()
                    depth += {"(": 1, ")": -1}.get(tok, 0)
                return _Node("call", (None, ".".join(path), None))
            if tok == "[":
                key = self.primary()
                self.take("]")
                if key.kind != "lit" or not isinstance(key.args[0], str):
                    raise _Unreadable("index")
                path.append(key.args[0])
                continue
            name = self.take()
            if self.peek() == "(":
                self.take("(")
                arg = self.primary()
                self.take(")")
                return _Node("call", (".".join(path), name, arg))
            path.append(name)
        return _Node("ref", (".".join(path),))


class _Scope:
    """Evaluates a parsed condition to PINNED / OPEN / UNKNOWN, claims read through the attribute mapping."""

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self.mapping = mapping

    def claim(self, node: Any) -> str | None:
        """``assertion.repository`` (or a mapped ``attribute.x`` / ``google.subject``) -> ``repository``."""
        if not isinstance(node, _Node) or node.kind != "ref":
            return None
        path = node.args[0]
        if path.startswith("attribute.") or path == "google.subject":
            mapped = self.mapping.get(path)
            path = mapped.strip() if isinstance(mapped, str) else ""
        m = re.fullmatch(r"assertion\.([A-Za-z_]\w*)", path)
        return m.group(1) if m else None

    def of(self, node: _Node) -> str:
        if node.kind in ("or", "and"):
            parts = [self.of(a) for a in node.args]
            decisive, other = (OPEN, PINNED) if node.kind == "or" else (PINNED, OPEN)
            if decisive in parts:
                return decisive  # `||`: one way in for any owner; `&&`: one test that pins the owner
            return UNKNOWN if UNKNOWN in parts else other
        if node.kind == "not":
            return self.negated(node.args[0])
        if node.kind == "cmp":
            return self.compare(*node.args)
        if node.kind == "call":
            target, method, arg = node.args
            claim = self.claim(_Node("ref", (target,))) if target else None
            if claim is None or arg is None or arg.kind != "lit" or not isinstance(arg.args[0], str):
                return UNKNOWN
            return _string_test(claim, method, arg.args[0])
        if node.kind == "lit" and isinstance(node.args[0], bool):
            return OPEN if node.args[0] else PINNED  # `false` admits no token
        return UNKNOWN

    def negated(self, node: _Node) -> str:
        """``!x``, read by pushing the negation inwards (De Morgan) down to the tests."""
        if node.kind == "not":
            return self.of(node.args[0])
        if node.kind in ("or", "and"):
            flipped = "and" if node.kind == "or" else "or"
            return self.of(_Node(flipped, tuple(_Node("not", (a,)) for a in node.args)))
        if node.kind == "cmp" and node.args[1] == "!=":
            return self.compare(node.args[0], "==", node.args[2])
        if node.kind == "lit" and isinstance(node.args[0], bool):
            return PINNED if node.args[0] else OPEN
        if node.kind in ("cmp", "call") and self.of(node) != UNKNOWN:
            return OPEN  # not this owner (or not this prefix): every other owner passes
        return UNKNOWN

    def compare(self, left: Any, op: str, right: Any) -> str:
        claim = self.claim(left)
        if claim is None and op != "in":
            claim, right = self.claim(right), left
        if claim is None:
            return UNKNOWN
        if op == "!=":
            return OPEN  # every other owner passes
        if not isinstance(right, _Node) or right.kind != "lit" or isinstance(right.args[0], bool):
            return UNKNOWN
        values = right.args[0] if isinstance(right.args[0], tuple) else (right.args[0],)
        return PINNED if values and claim in _EXACT_PINS else OPEN


#: claims for which `== 'literal'` (or `in [literals]`) admits one owner's tokens at most
_EXACT_PINS = _OWNER_CLAIMS | _PATH_CLAIMS | {"sub"}


def _literal_prefix(pattern: str) -> str:
    """The literal text an anchored RE2 pattern starts with (``^acme/`` -> ``acme/``); "" when unanchored."""
    if not pattern.startswith("^"):
        return ""
    out = []
    for ch in pattern[1:]:
        if ch in _REGEX_META:
            break
        out.append(ch)
    return "".join(out)


def _string_test(claim: str, method: str, arg: str) -> str:
    """What ``assertion.<claim>.<method>(arg)`` says about the owner."""
    if method == "matches":
        prefix = _literal_prefix(arg)
        if claim in _OWNER_CLAIMS:
            return PINNED if prefix and arg == f"^{prefix}$" else OPEN
    elif method == "startsWith":
        prefix = arg
        if claim in _OWNER_CLAIMS:
            return OPEN  # `startsWith('acme')` also admits `acme-evil`
    elif method in ("endsWith", "contains"):
        return OPEN
    else:
        return UNKNOWN
    if claim in _PATH_CLAIMS:
        owner, slash, _rest = prefix.partition("/")
        return PINNED if owner and slash else OPEN
    if claim == "sub":
        return PINNED if _SUB_OWNER_PREFIX_RE.match(prefix) else OPEN
    return OPEN


def owner_scope(condition: str, mapping: Mapping[str, Any]) -> str:
    """PINNED, OPEN or UNKNOWN for a GitHub provider's ``attribute_condition`` (see the module docstring)."""
    try:
        return _Scope(mapping).of(_Parser(condition).parse())
    except (_Unreadable, RecursionError):
        return UNKNOWN
