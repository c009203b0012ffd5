"""Large .tf files are split into blocks that are parsed as evaluation needs them
(scanner/loaders/hcl_parse.py, LazyBlock): the report is the same as when the file is parsed whole,
a block that does not parse is one error with its line, and the others are scanned."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, TODAY

import scanner.loaders.hcl_parse as hcl_parse
from scanner.api import ScanOptions, scan
from scanner.loaders.hcl_parse import LazyBlock, parse_text, split_blocks
from scanner.model.report import Report

CASES = sorted(p for p in (FIXTURES / "hcl").iterdir() if p.is_dir())


def _report(path: Path, monkeypatch: pytest.MonkeyPatch, lazy_min: int, live: int = 256) -> Report:
    monkeypatch.setattr(hcl_parse, "LAZY_MIN", lazy_min)
    monkeypatch.setattr(hcl_parse, "LIVE_TREES", live)
    return scan([str(path)], ScanOptions(today=TODAY)).report


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_lazy_blocks_give_the_report_of_a_whole_parse(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _report(case, monkeypatch, lazy_min=1 << 60)
    # every file split into lazy blocks, and at most two trees alive: blocks are parsed again
    lazy = _report(case, monkeypatch, lazy_min=0, live=2)
    assert lazy.model_dump() == whole.model_dump()


def test_every_fixture_file_splits_into_blocks() -> None:
    """The splitter reads real Terraform: strings with ${...} and braces, heredocs, comments."""
    for path in sorted((FIXTURES / "hcl").rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        blocks = split_blocks(text, str(path))
        assert blocks is not None, path
        eager, errors = parse_text(text, str(path))
        assert errors == []
        assert [(b.kind, b.labels, b.line, b.end_line) for b in blocks] == [
            (b.kind, b.labels, b.line, b.end_line) for b in eager
        ], path


BROKEN = """
resource "aws_iam_access_key" "before" {
  user = "ci"
}

resource "aws_iam_user" "broken" {
  name = "x" "y"
}

resource "aws_iam_access_key" "after" {
  user = "${upper("ci")}-{ not a brace }"
}
"""


def test_a_lazy_block_that_does_not_parse_is_one_error_and_the_rest_is_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.tf").write_text(BROKEN, encoding="utf-8")
    report = _report(tmp_path, monkeypatch, lazy_min=0)
    assert [(e.line, e.message) for e in report.errors] == [(7, "HCL syntax error: unexpected DBLQUOTE at column 14")]
    assert {f.resource for f in report.findings} == {"aws_iam_access_key.before", "aws_iam_access_key.after"}
    assert report.model_dump() == _report(tmp_path, monkeypatch, lazy_min=1 << 60).model_dump()


@pytest.mark.parametrize(
    "text",
    [
        'x = 1\nresource "a" "b" {\n}\n',  # an attribute at the top
        'resource "a" "b" {\n  x = "unclosed\n}\n',  # a string that does not close on its line
        'resource "a" "b" {\n  x = 1\n',  # a block that does not close
        'resource "a" "b" {\n} # a comment after the brace\n',
        'resource "a" "b" {\n  p = <<EOT\nno end\n}\n',  # a heredoc that does not close
    ],
)
def test_text_the_splitter_is_unsure_of_goes_to_lark_whole(text: str) -> None:
    assert split_blocks(text, "main.tf") is None


def test_lazy_block_lines_and_labels() -> None:
    text = '# head\n\nresource "aws_iam_user" "u" {\n  name = "}"\n}\n\nlocals {\n  a = "${"{"}"\n}\n'
    blocks = split_blocks(text, "main.tf", line_offset=10)
    assert blocks is not None and all(isinstance(b, LazyBlock) for b in blocks)
    assert [(b.kind, b.labels, b.line, b.end_line) for b in blocks] == [
        ("resource", ["aws_iam_user", "u"], 13, 15),
        ("locals", [], 17, 19),
    ]
