"""The one-pass post-lexer (scanner/loaders/hcl_parse.py, ``_PostLexer``) passes on the tokens that
python-hcl2's ``PostLexer`` followed by nhi-guard's bracket rule passed on before they were merged,
on every HCL text of the fixtures and of the tests' own parse cases."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator

import pytest
from conftest import FIXTURES
from hcl2.postlexer import PostLexer
from lark import Token

from scanner.loaders.hcl_parse import _OPENERS, _STEP_AFTER, _STEPS, _parser, _PostLexer


def _bracket_rule(stream: Iterable[Token]) -> Iterator[Token]:
    """nhi-guard's pass as it was before the merge (commit 375e83b), kept as the reference."""
    closers: list[str] = []
    pending: list[Token] = []
    previous = ""
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


def _raw_tokens(text: str, monkeypatch: pytest.MonkeyPatch) -> list[Token]:
    """The tokens Lark's lexer gives the post-lexer for ``text``: recorded while the parser parses it.
    (The contextual lexer's tokens depend on the parser's state, so on what the post-lexer passed
    on; where both post-lexers pass on the same tokens, the lexer gives both the same.)"""
    seen: list[Token] = []
    original = _PostLexer.process

    def recorded(self: _PostLexer, stream: Iterable[Token]) -> Iterator[Token]:
        def tee() -> Iterator[Token]:
            for token in stream:
                seen.append(token)
                yield token

        return original(self, tee())

    with monkeypatch.context() as patch:
        patch.setattr(_PostLexer, "process", recorded)
        with contextlib.suppress(Exception):  # a fixture with a syntax error: its tokens up to the error count
            _parser().parse(text if text.endswith("\n") else text + "\n")
    return seen


TEXTS = [
    'a = 1\n# c\n+ 2\n',
    'a = [lower\n("A")]\n',
    'a = (var.a\n.b)\n',
    'a = x\n  ? 1\n  : 2\n',
    'a = [\n  # comment\n  var.x\n  , 2\n]\n',
    'a = b\n\n\n== c\n',
    'a = 1\nb = -2\n',
    'a = f(\n  x\n  // c\n  .y\n)\n',
    *(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("hcl/**/*.tf"))),
]


def _key(tokens: Iterable[Token]) -> list[tuple[str, str, int | None]]:
    return [(t.type, str(t), t.line) for t in tokens]


def test_one_pass_equals_the_two_passes_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    differ = []
    for i, text in enumerate(TEXTS):
        raw = _raw_tokens(text, monkeypatch)
        if _key(_PostLexer().process(iter(raw))) != _key(_bracket_rule(PostLexer().process(iter(raw)))):
            differ.append(i)
    assert len(TEXTS) > 60 and differ == []


@pytest.mark.parametrize(
    ("text", "merged"),
    [
        ("a = 1\n# c\n+ 2\n", ["# c\n+"]),  # python-hcl2's rule: the newline before an operator goes on
        ("a = x\n  ? 1\n  : 2\n", ["\n  ?"]),
        ("a = 1\nb = -2\n", []),  # MINUS is no continuation: it may be unary
        ("a = [lower\n(\"A\")]\n", []),
    ],
)
def test_operators_take_the_newline_before_them(text: str, merged: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = list(_PostLexer().process(iter(_raw_tokens(text, monkeypatch))))
    assert [str(t) for t in out if "\n" in str(t) and t.type != "NL_OR_COMMENT"] == merged


@pytest.mark.parametrize(
    ("text", "newlines"),
    [
        ("a = [lower\n(\"A\")]\n", 1),  # the call's newline is dropped; the attribute's stays
        ("a = (var.a\n.b)\n", 1),
        ("a = f(\n  x\n  // c\n  .y\n)\n", 3),  # after `(`, before `)`, the end: kept; before .y: dropped
        ("a = 1\nb = 2\n", 2),
    ],
)
def test_newlines_inside_brackets_before_a_call_or_step_are_dropped(
    text: str, newlines: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = list(_PostLexer().process(iter(_raw_tokens(text, monkeypatch))))
    assert sum(t.type == "NL_OR_COMMENT" for t in out) == newlines
