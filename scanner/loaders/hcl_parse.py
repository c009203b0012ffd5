"""Parse HCL text into top-level blocks using python-hcl2's Lark grammar.

We read the Lark tree rather than python-hcl2's dict output: the tree keeps
expressions structured (so ``merge`` and ``jsonencode`` can be evaluated) and
carries a line for every attribute. It also skips python-hcl2's rule-object
transform, which more than doubles parse time (measured in bench/).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from scanner.model.resource import LoadError

#: A line that opens a top-level block. A file that does not parse is split at these lines and
#: each piece is parsed alone, so one broken block does not hide the others (chat answers get cut off).
_TOP_LEVEL_RE = re.compile(
    r"^(resource|data|variable|locals|provider|output|module|terraform|moved|import|removed|check)\b", re.MULTILINE
)


@dataclass
class RawBlock:
    """A block as written: ``resource "aws_iam_role" "x" { ... }``."""

    kind: str
    labels: list[str]
    body: Tree
    file: str
    line: int
    end_line: int
    line_offset: int


@functools.lru_cache(maxsize=1)
def _parser() -> Any:  # built lazily: loading the Lark parser is the slow part of start-up
    """python-hcl2's grammar and post-lexer, as ``hcl2.parser.parser()``, minus position propagation.

    With ``propagate_positions`` Lark computes a position for every tree node, which takes about
    40% of the parse (bench/README.md). Only attributes and blocks need lines here, and
    :func:`_set_lines` takes them from their first and last tokens. The parse tables are cached
    next to python-hcl2's own cache, like it does, so they are built once per install.
    """
    import hcl2.parser

    here = Path(hcl2.parser.__file__).resolve().parent
    return Lark.open(
        "hcl2.lark",
        rel_to=str(here / "parser.py"),
        parser="lalr",
        propagate_positions=False,
        postlex=_postlexer(),
        cache=str(here / ".nhi_guard_lark_cache.bin"),
    )


#: tokens that go on a traversal (``.attr``, ``.*``, ``[index]``), and what they may follow
_STEPS = frozenset({"DOT", "ATTR_SPLAT", "LSQB", "FULL_SPLAT_START"})
_STEP_AFTER = frozenset({"NAME", "RSQB", "RPAR", "RBRACE", "DBLQUOTE"})
_OPENERS = {"LSQB": "RSQB", "LPAR": "RPAR", "LBRACE": "RBRACE", "INTERP_START": "RBRACE", "DIRECTIVE_START": "RBRACE"}


def _postlexer() -> Any:
    """python-hcl2's post-lexer, plus one pass: inside ``[...]`` and ``(...)`` an expression may
    go on across lines.

    HCL ignores newlines inside brackets and parentheses, so ``[lower\n("A")]`` is a call of
    ``lower`` (seen in a large public Azure module) and ``(var.a\n.b)`` is ``var.a.b`` (seen in
    cloud-foundation-fabric); python-hcl2's grammar allows no newline between a name and its
    ``(``, nor before a ``.attr`` or ``[index]``. Newlines (and comments) found there are dropped;
    elsewhere, where newlines end attributes, nothing changes.
    """
    from hcl2.postlexer import PostLexer

    class _PostLexer(PostLexer):
        def process(self, stream: Any) -> Any:
            yield from _join_call_newlines(super().process(stream))

    return _PostLexer()


def _join_call_newlines(stream: Any) -> Any:
    closers: list[str] = []  # what closes each open bracket, innermost last
    pending: list[Token] = []  # newline tokens not yet passed on
    previous = ""  # type of the last token passed on
    for token in stream:
        if token.type == "NL_OR_COMMENT":
            pending.append(token)
            continue
        if pending:
            inside = bool(closers) and closers[-1] in ("RSQB", "RPAR")
            call = token.type == "LPAR" and previous == "NAME"
            step = token.type in _STEPS and previous in _STEP_AFTER
            if not (inside and (call or step)):
                yield from pending
            pending = []
        if token.type in _OPENERS:
            closers.append(_OPENERS[token.type])
        elif closers and token.type == closers[-1]:
            closers.pop()
        previous = token.type
        yield token
    yield from pending


def _set_lines(body: Tree) -> None:
    """``meta.line`` of every attribute and block, ``meta.end_line`` of blocks, as Lark would set them."""
    for node in body.children:
        if not isinstance(node, Tree) or node.data not in ("attribute", "block"):
            continue
        first: Tree | Token = node
        while isinstance(first, Tree) and first.children:
            first = first.children[0]
        if isinstance(first, Token) and first.line is not None:
            node.meta.line = first.line
        if node.data == "block":
            last = node.children[-1]
            if isinstance(last, Token) and last.end_line is not None:  # RBRACE
                node.meta.end_line = last.end_line
            for child in node.children:
                if isinstance(child, Tree) and child.data == "body":
                    _set_lines(child)


def _label(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(
            str(p.children[0])
            for p in node.children
            if isinstance(p, Tree) and p.data == "string_part" and isinstance(p.children[0], Token)
        )
    return "".join(str(c) for c in node.children if isinstance(c, Token))


def parse_text(text: str, file: str, line_offset: int = 0) -> tuple[list[RawBlock], list[LoadError]]:
    """Parse one chunk of HCL. ``line_offset`` shifts lines (Markdown blocks).

    When the chunk does not parse, each top-level block is parsed on its own: the blocks
    that parse are kept, and each one that does not gives one error.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    blocks, errors = _parse_whole(text, file, line_offset)
    if not errors:
        return blocks, errors
    starts = [m.start() for m in _TOP_LEVEL_RE.finditer(text)]
    if len(starts) < 2:
        return blocks, errors
    if starts[0] > 0 and text[: starts[0]].strip():
        starts.insert(0, 0)
    blocks, errors = [], []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        offset = line_offset + text.count("\n", 0, begin)
        got, errs = _parse_whole(text[begin:end], file, offset)
        blocks.extend(got)
        errors.extend(errs)
    return blocks, errors


def _parse_whole(text: str, file: str, line_offset: int) -> tuple[list[RawBlock], list[LoadError]]:
    if not text.endswith("\n"):
        text += "\n"  # the grammar needs a trailing newline after the last attribute
    try:
        tree = _parser().parse(text)
        _set_lines(tree.children[0])
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None and getattr(token, "type", "") == "$END":
            opened = [m.start() for m in _TOP_LEVEL_RE.finditer(text)]
            start = text.count("\n", 0, opened[-1]) + 1 + line_offset if opened else None
            end = text.count("\n") + line_offset
            where = f"the block at line {start}" if start else "a block"
            return [], [LoadError(file, start or end, f"HCL syntax error: {where} is not closed "
                                                      f"(input ends at line {end})")]
        line = getattr(exc, "line", None)
        line = line + line_offset if isinstance(line, int) and line > 0 else None
        return [], [LoadError(file, line, f"HCL syntax error: {_short(exc)}")]
    except (LarkError, RecursionError, ValueError) as exc:
        return [], [
            LoadError(file, line_offset + 1 if line_offset else None, f"HCL could not be parsed: {type(exc).__name__}")
        ]
    blocks: list[RawBlock] = []
    body = tree.children[0]
    for child in body.children:
        if not isinstance(child, Tree) or child.data != "block":
            continue
        parts = [c for c in child.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
        kind = _label(parts[0])
        labels = [
            _label(p)
            for p in parts[1:]
            if not isinstance(p, Token) and p.data in ("identifier", "string", "keyword", "literal_value")
        ]
        inner = next(c for c in child.children if isinstance(c, Tree) and c.data == "body")
        blocks.append(
            RawBlock(
                kind, labels, inner, file, child.meta.line + line_offset, child.meta.end_line + line_offset, line_offset
            )
        )
    return blocks, []


def parse_body(text: str, file: str) -> tuple[Tree | None, list[LoadError]]:
    """A file of attributes only (``terraform.tfvars``): its body, or the errors.

    The text is parsed as the body of a block, so lines are shifted back by the one line the
    block's opening takes.
    """
    blocks, errors = _parse_whole(f"__body__ {{\n{text}\n}}\n", file, -1)
    if errors or not blocks:
        return None, errors
    return blocks[0].body, []


def parse_expression(text: str) -> Tree | None:
    """One expression (a heredoc interpolation, a ``--var`` value); None when it does not parse."""
    blocks, _ = _parse_whole(f"__expr__ {{\n__x__ = {text}\n}}\n", "<expr>", 0)
    if not blocks:
        return None
    attrs = [c for c in blocks[0].body.children if isinstance(c, Tree) and c.data == "attribute"]
    if len(attrs) != 1:
        return None
    kids = [c for c in attrs[0].children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
    return kids[-1] if kids else None


def _short(exc: UnexpectedInput) -> str:
    token = getattr(exc, "token", None)
    col = getattr(exc, "column", None)
    where = f" at column {col}" if isinstance(col, int) and col > 0 else ""
    if token is not None:
        # Name the token type, never its text: the text may be a secret literal.
        return f"unexpected {getattr(token, 'type', 'token')}{where}"
    return f"unexpected character{where}"
