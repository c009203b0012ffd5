"""Blocks that differ only in their plain string literals share one parse.

Generated Terraform repeats one shape thousands of times: ``bench/hostile.py``'s 5 MB file is
37,000 ``aws_iam_user`` blocks that differ only in names and tag values. Lark takes about 240 µs
to parse such a block; copying a parsed tree takes about 14 µs. So a block's *shape*, its text with
each plain string literal replaced by a numbered placeholder, is parsed once, and each block of
that shape gets a copy of the tree with its own literals put back.

A plain literal (no escape, interpolation or directive) is lexed as one ``STRING_CHARS`` token
whatever its text, so the copy is the tree Lark builds from the block itself
(tests/test_hcl_templates.py compares the two on every fixture block). Only texts whose strings
can be found without a parser take part: no heredoc, no backslash, no ``$`` or ``%``; comments are
skipped, so a quote in a comment is no string. Any other text is parsed as it is.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable

from lark import Token, Tree

#: longer texts are parsed as they are: a template is kept alive, and trees are ~100x their text
MAX_TEXT = 4096
#: how many shapes keep their parsed tree
TEMPLATES = 128

_UNSUITABLE = re.compile(r"[\\$%\x00]|<<")
_PIECES = re.compile(r'"([^"\n\r]*)"|#[^\n]*|//[^\n]*|/\*.*?\*/|[^"#/]+|/', re.DOTALL)
_PLACEHOLDER = re.compile("\x00([0-9]+)")


def shape_of(text: str) -> tuple[str, list[str]] | None:
    """``text`` with its non-empty plain literals numbered (``"\\x000"``, ``"\\x001"``...), and the
    literals; None when the text cannot take part (see the module's docstring)."""
    if len(text) > MAX_TEXT or _UNSUITABLE.search(text):
        return None
    out: list[str] = []
    literals: list[str] = []
    pos = 0
    for m in _PIECES.finditer(text):
        if m.start() != pos:
            return None  # a quote that does not close on its line: Lark reports it
        pos = m.end()
        literal = m.group(1)
        if literal:  # an empty string has no STRING_CHARS token: it stays in the shape
            out.append(f'"\x00{len(literals)}"')
            literals.append(literal)
        else:
            out.append(m.group())
    if pos != len(text):
        return None
    return "".join(out), literals


class Templates:
    """Parse trees of block bodies, built from their shape when the shape has been parsed before.

    ``parse`` turns a text into its body tree, or None when it does not parse (the caller then
    parses the block itself, for its errors)."""

    def __init__(self, parse: Callable[[str], Tree | None], size: int = TEMPLATES) -> None:
        self._template = functools.lru_cache(maxsize=size)(parse)

    def body(self, text: str) -> Tree | None:
        """The body tree of ``text``; None when it has no shape, or its shape does not parse."""
        shape = shape_of(text)
        if shape is None:
            return None
        template = self._template(shape[0])
        if template is None:
            return None
        try:
            return _filled(template, shape[1])
        except RecursionError:  # brackets nested a thousand deep: Lark's own parse bounds it
            return None


def _filled(node: Tree, literals: list[str]) -> Tree:
    """A copy of ``node`` with each placeholder token replaced by its literal (the template is shared,
    so nothing of it may be handed out to be changed)."""
    children: list[Tree | Token] = []
    for child in node.children:
        if isinstance(child, Tree):
            children.append(_filled(child, literals))
        elif isinstance(child, Token) and child.type == "STRING_CHARS" and (m := _PLACEHOLDER.fullmatch(child)):
            children.append(Token.new_borrow_pos(child.type, literals[int(m.group(1))], child))
        else:
            children.append(child)
    meta = node._meta  # only nodes whose meta was set carry one (lines of attributes and blocks)
    return Tree(node.data, children, meta=copy.copy(meta) if meta is not None else None)
