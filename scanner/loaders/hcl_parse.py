"""Parse HCL text into top-level blocks using python-hcl2's Lark grammar.

We read the Lark tree rather than python-hcl2's dict output: the tree keeps
expressions structured (so ``merge`` and ``jsonencode`` can be evaluated) and
carries a line for every attribute. It also skips python-hcl2's rule-object
transform, which more than doubles parse time (measured in bench/).
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from scanner.loaders.hcl_templates import Templates
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


class LazyBlock(RawBlock):
    """A block of a large file, parsed when its body is first needed (:func:`parse_text`, ``lazy``).

    A 5 MB file of 37,000 small resources made a Lark tree of 640 MB, all of it alive while the
    module was evaluated. A lazy block keeps its source text; its tree is one of the few hundred
    most recently used (:data:`LIVE_TREES`) and is parsed again if it is needed after that. A
    block that does not parse has an empty body and its error in :attr:`errors`.
    """

    def __init__(self, kind: str, labels: list[str], text: str, file: str, line: int, end_line: int,
                 line_offset: int) -> None:  # fmt: skip
        self.kind, self.labels, self.file, self.line, self.end_line = kind, labels, file, line, end_line
        self.line_offset = line_offset
        self._text = text
        self._tree: Tree | None = None
        self.errors: list[LoadError] | None = None  # None: never parsed

    @property
    def body(self) -> Tree:
        with _LIVE_LOCK:
            if self._tree is not None:
                _LIVE.move_to_end(id(self))
                return self._tree
        tree = _TEMPLATES.body(self._text)
        if tree is None:
            blocks, errors = _parse_whole(self._text, self.file, self.line_offset)
            tree = blocks[0].body if len(blocks) == 1 else Tree("body", [])
        else:
            errors = []
        if self.errors is None:
            self.errors = errors
        with _LIVE_LOCK:
            self._tree = tree
            _LIVE[id(self)] = self
            while len(_LIVE) > LIVE_TREES:
                _, old = _LIVE.popitem(last=False)
                old._tree = None
        return tree

    @body.setter
    def body(self, value: Tree) -> None:
        self._tree = value

    def parse_errors(self) -> list[LoadError]:
        """The block's syntax errors, parsing it if nothing has yet."""
        if self.errors is None:
            _ = self.body
        return list(self.errors or [])

    def release(self) -> None:
        with _LIVE_LOCK:
            _LIVE.pop(id(self), None)
            self._tree = None


#: how many parsed trees of lazy blocks stay in memory (a block and the ones it references)
LIVE_TREES = 256
_LIVE: OrderedDict[int, LazyBlock] = OrderedDict()
_LIVE_LOCK = threading.Lock()
#: texts at least this long are split into blocks that are parsed lazily, when ``lazy`` is asked
LAZY_MIN = 64 * 1024


def _shape_body(text: str) -> Tree | None:
    blocks, errors = _parse_whole(text, "<shape>", 0)
    return blocks[0].body if len(blocks) == 1 and not errors else None


#: lazy blocks that differ only in their string literals are parsed once (see hcl_templates)
_TEMPLATES = Templates(_shape_body)


@functools.lru_cache(maxsize=1)
def _parser() -> Any:  # built lazily: loading the Lark parser is the slow part of start-up
    """python-hcl2's grammar and post-lexer, as ``hcl2.parser.parser()``, minus position propagation.

    With ``propagate_positions`` Lark computes a position for every tree node, which takes about
    40% of the parse (bench/README.md). Only attributes and blocks need lines here, and
    :func:`_set_lines` takes them from their first and last tokens. The parse tables are cached
    next to python-hcl2's own cache, like it does, so they are built once per install.
    """
    here = _hcl2_dir()
    return Lark.open(
        "hcl2.lark",
        rel_to=str(here / "parser.py"),
        parser="lalr",
        propagate_positions=False,
        postlex=_PostLexer(),
        cache=str(here / ".nhi_guard_lark_cache.bin"),
    )


#: tokens that go on a traversal (``.attr``, ``.*``, ``[index]``), and what they may follow
_STEPS = frozenset({"DOT", "ATTR_SPLAT", "LSQB", "FULL_SPLAT_START"})
_STEP_AFTER = frozenset({"NAME", "RSQB", "RPAR", "RBRACE", "DBLQUOTE"})
_OPENERS = {"LSQB": "RSQB", "LPAR": "RPAR", "LBRACE": "RBRACE", "INTERP_START": "RBRACE", "DIRECTIVE_START": "RBRACE"}


def _hcl2_dir() -> Path:
    """python-hcl2's package directory, found without importing the package: its ``__init__``
    imports the dict API and its rule classes, which are not used here (8 ms of every start-up)."""
    spec = importlib.util.find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'hcl2'", name="hcl2")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


#: python-hcl2's post-lexer: a newline just before one of these continues the expression
#: (hcl2/postlexer.py, OPERATOR_TYPES; MINUS is not one, being also unary)
_CONTINUING = frozenset(
    {"DOUBLE_EQ", "NEQ", "LT", "GT", "LEQ", "GEQ", "ASTERISK", "SLASH", "PERCENT", "DOUBLE_AMP", "DOUBLE_PIPE",
     "PLUS", "QMARK"}
)  # fmt: skip


class _PostLexer:
    """python-hcl2's post-lexer and one more rule, in one pass over the tokens.

    python-hcl2's (``hcl2.postlexer.PostLexer``): a newline (or comment) right before a binary
    operator or ``?`` is merged into that operator's token, so the expression goes on.

    Ours: inside ``[...]`` and ``(...)`` an expression may also go on across lines before a call's
    ``(`` or a traversal step. HCL ignores newlines inside brackets and parentheses, so
    ``[lower\n("A")]`` is a call of ``lower`` (seen in a large public Azure module) and
    ``(var.a\n.b)`` is ``var.a.b`` (seen in cloud-foundation-fabric); python-hcl2's grammar allows
    no newline between a name and its ``(``, nor before a ``.attr`` or ``[index]``. Newlines (and
    comments) found there are dropped; elsewhere, where newlines end attributes, nothing changes.
    tests/test_hcl_parse_postlexer.py checks this pass against python-hcl2's followed by ours.
    """

    always_accept: tuple[str, ...] = ()

    def process(self, stream: Iterable[Token]) -> Iterator[Token]:
        closers: list[str] = []  # what closes each open bracket, innermost last
        pending: list[Token] = []  # newline tokens not yet passed on
        previous = ""  # type of the last token passed on
        for token in stream:
            kind = token.type
            if kind == "NL_OR_COMMENT":
                pending.append(token)
                continue
            if pending:
                if kind in _CONTINUING:
                    last = pending.pop()
                    token = token.update(value=str(last) + str(token))
                inside = bool(closers) and closers[-1] in ("RSQB", "RPAR")
                joined = inside and (
                    (kind == "LPAR" and previous == "NAME") or (kind in _STEPS and previous in _STEP_AFTER)
                )
                if not joined:
                    yield from pending
                pending = []
            if kind in _OPENERS:
                closers.append(_OPENERS[kind])
            elif closers and kind == closers[-1]:
                closers.pop()
            previous = kind
            yield token
        yield from pending


def _set_lines(body: Tree, real: Callable[[int], int] = lambda line: line) -> None:
    """``meta.line`` of every attribute and block, ``meta.end_line`` of blocks, as Lark would set them
    (``real`` maps a line of the text Lark parsed to the file's: see :func:`_cut_heredocs`)."""
    for node in body.children:
        if not isinstance(node, Tree) or node.data not in ("attribute", "block"):
            continue
        first: Tree | Token = node
        while isinstance(first, Tree) and first.children:
            first = first.children[0]
        if isinstance(first, Token) and first.line is not None:
            node.meta.line = real(first.line)
        if node.data == "block":
            last = node.children[-1]
            if isinstance(last, Token) and last.end_line is not None:  # RBRACE
                node.meta.end_line = real(last.end_line)
            for child in node.children:
                if isinstance(child, Tree) and child.data == "body":
                    _set_lines(child, real)


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


def parse_text(
    text: str, file: str, line_offset: int = 0, lazy: bool = False
) -> tuple[list[RawBlock], list[LoadError]]:
    """Parse one chunk of HCL. ``line_offset`` shifts lines (Markdown blocks).

    When the chunk does not parse, each top-level block is parsed on its own: the blocks
    that parse are kept, and each one that does not gives one error.

    ``lazy``: a text of :data:`LAZY_MIN` or more that splits cleanly into top-level blocks gives
    :class:`LazyBlock` s, parsed when their body is needed; their syntax errors come from
    :meth:`LazyBlock.parse_errors`, not from here.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if lazy and len(text) >= LAZY_MIN:
        split = split_blocks(text, file, line_offset)
        if split is not None:
            return split, []
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


#: a heredoc body at least this large is taken out of the text before Lark parses it
BIG_HEREDOC = 64 * 1024
_HEREDOC_OPEN = re.compile(r"<<-?([a-zA-Z][a-zA-Z0-9._-]*)\r?\n")


@dataclass
class _Cut:
    key: str  # what stands for the body in the text Lark parses
    heredoc: str  # the heredoc as written: <<EOT ... EOT
    line: int  # the placeholder's line in the parsed text
    lines: int  # how many lines fewer the parsed text has from there on


def _cut_heredocs(text: str) -> tuple[str, list[_Cut]]:
    """``text`` with the body of each large heredoc replaced by one line.

    python-hcl2's heredoc terminal is ``(?:.|\n)*?``: Python's regex engine keeps a backtracking
    entry for every character it crosses, so a 7 MB heredoc took 1.5 GB to lex. Each large body is
    found here in linear time (its opening ``<<EOT`` on a line with no quote or comment before it,
    its closing line), replaced by a unique key for the parse, and put back in the tree after it.
    A heredoc that cannot be read this way is left for Lark to parse, or to report.
    """
    if len(text) < BIG_HEREDOC:
        return text, []
    cuts: list[_Cut] = []
    out: list[str] = []
    pos = newlines = 0  # newlines: in out so far
    for opening in _HEREDOC_OPEN.finditer(text):
        if opening.start() < pos:
            continue
        before = text[text.rfind("\n", 0, opening.start()) + 1 : opening.start()]
        if any(mark in before for mark in ('"', "#", "//", "/*")):
            continue  # perhaps inside a string or a comment
        closing = re.compile(rf"^[ \t]*{re.escape(opening.group(1))}\r?\n", re.M).search(text, opening.end())
        if closing is None or closing.start() - opening.end() < BIG_HEREDOC:
            continue
        key = f"nhi_guard_heredoc_{len(cuts)}_{len(text)}"
        out += [text[pos : opening.end()], key, "\n"]
        line = newlines + text.count("\n", pos, opening.end()) + 1  # the key's line, counted from 1
        newlines = line
        cuts.append(_Cut(key, text[opening.start() : closing.end()], line,
                         text.count("\n", opening.end(), closing.start()) - 1))  # fmt: skip
        pos = closing.start()
    if not cuts:
        return text, []
    out.append(text[pos:])
    return "".join(out), cuts


def _restore_heredocs(tree: Tree, cuts: list[_Cut]) -> None:
    by_key = {c.key: c for c in cuts}
    for node in tree.iter_subtrees():
        if node.data in ("heredoc_template", "heredoc_template_trim"):
            token = node.children[0]
            key = next((k for k in by_key if isinstance(token, Token) and k in token), None)
            if key is not None and isinstance(token, Token):
                node.children[0] = Token.new_borrow_pos(token.type, by_key.pop(key).heredoc, token)


def _line_map(cuts: list[_Cut]) -> Callable[[int], int]:
    """Lines of the parsed text -> lines of the file, past each cut heredoc."""
    if not cuts:
        return lambda line: line
    starts = [c.line for c in cuts]
    shifts = list(itertools.accumulate(c.lines for c in cuts))
    return lambda line: line + (shifts[i - 1] if (i := bisect.bisect_left(starts, line)) else 0)


def _parse_whole(text: str, file: str, line_offset: int) -> tuple[list[RawBlock], list[LoadError]]:
    if not text.endswith("\n"):
        text += "\n"  # the grammar needs a trailing newline after the last attribute
    text, cuts = _cut_heredocs(text)
    real = _line_map(cuts)
    try:
        tree = _parser().parse(text)
        _set_lines(tree.children[0], real)
        if cuts:
            _restore_heredocs(tree, cuts)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None and getattr(token, "type", "") == "$END":
            opened = [m.start() for m in _TOP_LEVEL_RE.finditer(text)]
            start = real(text.count("\n", 0, opened[-1]) + 1) + line_offset if opened else None
            end = real(text.count("\n")) + line_offset
            where = f"the block at line {start}" if start else "a block"
            return [], [LoadError(file, start or end, f"HCL syntax error: {where} is not closed "
                                                      f"(input ends at line {end})")]
        line = getattr(exc, "line", None)
        line = real(line) + line_offset if isinstance(line, int) and line > 0 else None
        return [], [LoadError(file, line, f"HCL syntax error: {_short(exc)}")]
    except (LarkError, RecursionError, ValueError) as exc:
        return [], [LoadError(file, line_offset + 1 if line_offset else None,
                              f"HCL could not be parsed: {type(exc).__name__}")]
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


_CODE_EVENT = re.compile(r'[{}"#]|//|/\*|<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n')
_STRING_EVENT = re.compile(r'\$\$\{|%%\{|\$\{|%\{|["\\\n]')
_HEADER = re.compile(
    r'[ \t]*([A-Za-z_][A-Za-z0-9_-]*)((?:[ \t]+(?:"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_-]*))*)[ \t]*\{'
)
_LABEL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z_][A-Za-z0-9_-]*)')
_GAP = re.compile(r"(?:\s+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.DOTALL)


def _block_spans(text: str) -> list[tuple[int, int, int]] | None:
    """``(start, open_brace, end)`` of each top-level block, or None when the text is anything but
    blocks, whitespace and comments, or the scan is unsure (it then goes to Lark whole).

    Linear: a regular expression jumps from one brace, quote, comment or heredoc to the next, and
    a stack follows strings and their ``${...}`` interpolations."""
    spans: list[tuple[int, int, int]] = []
    stack: list[str] = []  # "{" a brace in code, "$" an interpolation, '"' a string
    pos, start, opened = 0, 0, 0
    n = len(text)
    while pos < n:
        if stack and stack[-1] == '"':
            m = _STRING_EVENT.search(text, pos)
            if m is None or m.group() == "\n":
                return None  # an unclosed string: leave it to Lark to report
            tok = m.group()
            pos = m.end() + (1 if tok == "\\" else 0)
            if tok == '"':
                stack.pop()
            elif tok in ("${", "%{"):
                stack.append("$")
            continue
        m = _CODE_EVENT.search(text, pos)
        if m is None:
            if stack or _GAP.fullmatch(text, start if not spans else spans[-1][2]) is None:
                return None
            break
        tok = m.group()
        if tok == "{":
            if not stack:
                opened = m.start()
                line_start = text.rfind("\n", 0, opened) + 1
                gap_from = spans[-1][2] if spans else 0
                if _GAP.fullmatch(text, gap_from, line_start) is None:
                    return None  # something before this block's line that is not a block
                start = line_start
            stack.append("{")
        elif tok == "}":
            if not stack:
                return None
            stack.pop()
            if not stack:
                line_end = text.find("\n", m.end())
                end = n if line_end < 0 else line_end + 1
                if text[m.end() : end].strip():
                    return None  # the closing brace is not the last thing on its line
                spans.append((start, opened, end))
                pos = end
                continue
        elif tok == '"':
            stack.append('"')
        elif tok in ("#", "//"):
            line_end = text.find("\n", m.end())
            pos = n if line_end < 0 else line_end
            continue
        elif tok == "/*":
            close = text.find("*/", m.end())
            if close < 0:
                return None
            pos = close + 2
            continue
        else:  # a heredoc: to its closing line
            closing = re.compile(rf"^[ \t]*{re.escape(m.group(1))}\r?$", re.M).search(text, m.end())
            if closing is None:
                return None
            pos = closing.end()
            continue
        pos = m.end()
    if stack or not spans:
        return None
    return spans


def split_blocks(text: str, file: str, line_offset: int = 0) -> list[RawBlock] | None:
    """Lazy blocks for each top-level block of ``text`` (see :class:`LazyBlock`); None when the text
    does not split cleanly, or a block's header is not the usual ``kind "label" "label" {``."""
    spans = _block_spans(text)
    if spans is None:
        return None
    blocks: list[RawBlock] = []
    newlines = 0
    last = 0
    for start, opened, end in spans:
        newlines += text.count("\n", last, start)
        last = start
        header = _HEADER.fullmatch(text, start, opened + 1)
        if header is None:
            return None
        labels = [m.group(1) if m.group(1) is not None else m.group(2) for m in _LABEL.finditer(header.group(2))]
        offset = line_offset + newlines
        end_line = offset + text.count("\n", start, end)
        blocks.append(LazyBlock(header.group(1), labels, text[start:end], file, offset + 1, end_line, offset))
    return blocks


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
