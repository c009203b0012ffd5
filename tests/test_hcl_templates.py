"""A block parsed from its shape (scanner/loaders/hcl_templates.py) is the tree Lark builds from
the block itself: same nodes, token types and texts, and the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token, Tree

from scanner.loaders.hcl_parse import _block_spans, _parse_whole, _shape_body
from scanner.loaders.hcl_templates import Templates, shape_of


def _blocks() -> list[tuple[str, str]]:
    """(name, text) of every top-level block of the HCL fixtures that has a shape."""
    out = []
    for path in sorted(FIXTURES.glob("hcl/**/*.tf")):
        text = path.read_text(encoding="utf-8")
        for start, _, end in _block_spans(text) or []:
            block = text[start:end]
            if shape_of(block) is not None:
                out.append((f"{path.relative_to(FIXTURES)}:{text.count(chr(10), 0, start) + 1}", block))
    return out


BLOCKS = _blocks()


def _signature(tree: Tree) -> list[object]:
    """Everything of the tree a loader reads: node names, token types and texts, and lines."""
    out: list[object] = []
    for node in tree.iter_subtrees_topdown():
        meta = node._meta
        out.append((node.data, getattr(meta, "line", None), getattr(meta, "end_line", None)))
        out.extend((t.type, str(t), t.line) for t in node.children if isinstance(t, Token))
    return out


def _direct(text: str) -> Tree:
    blocks, errors = _parse_whole(text, "f.tf", 0)
    assert not errors and len(blocks) == 1
    return blocks[0].body


def test_fixtures_have_blocks_with_a_shape() -> None:
    assert len(BLOCKS) > 300


def test_every_fixture_block_from_its_shape_is_the_block_parsed() -> None:
    templates = Templates(_shape_body)
    differ = [name for name, text in BLOCKS if (got := templates.body(text)) is None
              or _signature(got) != _signature(_direct(text))]  # fmt: skip
    assert differ == []


#: what a plain literal may hold (no quote, backslash, `$`, `%`, line break or NUL)
_PLAIN = st.text(st.characters(blacklist_characters='"\\$%\n\r\x00', blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_shape_other_literals_is_the_block_parsed(data: st.DataObject) -> None:
    """One template serves every block of its shape: each block's own literals come back, in place."""
    name, text = data.draw(st.sampled_from(BLOCKS))
    shape = shape_of(text)
    assert shape is not None
    key, literals = shape
    new = [data.draw(_PLAIN.filter(bool)) for _ in literals]
    variant = key
    for i, literal in enumerate(new):
        variant = variant.replace(f'"\x00{i}"', '"' + literal + '"', 1)
    templates = Templates(_shape_body)
    assert templates.body(text) is not None  # the template is built from the first block
    got = templates.body(variant)
    assert got is not None and _signature(got) == _signature(_direct(variant)), name


def test_a_template_is_parsed_once_and_never_handed_out() -> None:
    calls: list[str] = []

    def parse(text: str) -> Tree | None:
        calls.append(text)
        return _shape_body(text)

    templates = Templates(parse)
    first = templates.body('resource "aws_iam_user" "a" {\n  name = "a"\n}\n')
    second = templates.body('resource "aws_iam_user" "b" {\n  name = "bee"\n}\n')
    assert first is not None and second is not None and len(calls) == 1
    assert first is not second and first != second
    second.children.clear()  # a loader changing its tree changes no other block's
    third = templates.body('resource "aws_iam_user" "c" {\n  name = "c"\n}\n')
    assert third is not None and third.children


@pytest.mark.parametrize(
    "text",
    [
        'resource "a" "b" {\n  name = "${var.x}"\n}\n',  # interpolation
        'resource "a" "b" {\n  name = "a\\"b"\n}\n',  # escape
        'resource "a" "b" {\n  policy = <<EOT\n{"a": 1}\nEOT\n}\n',  # heredoc
        'resource "a" "b" {\n  name = "unclosed\n}\n',  # a quote that does not close on its line
        'resource "a" "b" {\n  name = "100%"\n}\n',  # a directive might start here
        'resource "a" "b" {\n  name = "x"\n}\n' + " " * 5000,  # too long to keep
    ],
)
def test_text_without_a_reliable_shape_is_parsed_as_it_is(text: str) -> None:
    assert shape_of(text) is None


def test_quotes_in_comments_are_not_strings() -> None:
    text = 'resource "a" "b" {\n  # a "quoted" word\n  name = "x" // "y"\n  /* "z" */\n}\n'
    assert shape_of(text) == (
        'resource "\x000" "\x001" {\n  # a "quoted" word\n  name = "\x002" // "y"\n  /* "z" */\n}\n',
        ["a", "b", "x"],
    )


def test_a_large_file_of_one_shape_scans_as_without_templates(tmp_path: Path) -> None:
    """Lazy blocks (a file over 64 KB) go through templates; the findings are those of a plain parse."""
    from scanner.api import ScanOptions, scan
    from scanner.loaders import hcl_parse

    blocks = [
        f'resource "aws_iam_access_key" "k{i}" {{\n  user = "ci-{i}"\n  status = "Active"\n}}\n\n'
        f'resource "aws_iam_user" "u{i}" {{\n  name = "ci-{i}"\n  tags = {{ owner = "team-{i % 3}" }}\n}}\n\n'
        for i in range(700)
    ]
    (tmp_path / "main.tf").write_text("".join(blocks), encoding="utf-8")
    assert (tmp_path / "main.tf").stat().st_size > hcl_parse.LAZY_MIN
    with_templates = scan([str(tmp_path)], ScanOptions()).report
    original = hcl_parse._TEMPLATES
    hcl_parse._TEMPLATES = Templates(lambda text: None)  # no shape ever parses: every block by Lark
    try:
        without = scan([str(tmp_path)], ScanOptions()).report
    finally:
        hcl_parse._TEMPLATES = original
    assert len(with_templates.findings) >= 1400
    assert with_templates.model_dump_json() == without.model_dump_json()
