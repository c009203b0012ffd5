"""Parse HCL text into top-level blocks using python-hcl2's Lark grammar.

We read the Lark tree rather than python-hcl2's dict output: the tree keeps
expressions structured (so ``merge`` and ``jsonencode`` can be evaluated) and
carries a line for every attribute. It also skips python-hcl2's rule-object
transform, which more than doubles parse time (measured in bench/).
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from scanner.model import LoadError


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


def _parser():  # imported lazily: building the Lark parser is the slow part of start-up
    from hcl2.parser import parser

    return parser()


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
    """Parse one chunk of HCL. ``line_offset`` shifts lines (Markdown blocks)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.endswith("\n"):
        text += "\n"  # the grammar needs a trailing newline after the last attribute
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        line = getattr(exc, "line", None)
        line = line + line_offset if isinstance(line, int) and line > 0 else None
        return [], [LoadError(file, line, f"HCL syntax error: {_short(exc)}")]
    except (LarkError, RecursionError, ValueError) as exc:
        return [], [LoadError(file, None, f"HCL could not be parsed: {type(exc).__name__}")]
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


def _short(exc: UnexpectedInput) -> str:
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "unexpected end of input (block not closed?)"
    col = getattr(exc, "column", None)
    where = f" at column {col}" if isinstance(col, int) and col > 0 else ""
    if token is not None:
        # Name the token type, never its text: the text may be a secret literal.
        return f"unexpected {getattr(token, 'type', 'token')}{where}"
    return f"unexpected character{where}"
