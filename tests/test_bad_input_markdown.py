"""Chat answers as they come: no code, cut-off fences, other languages, thousands of blocks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_bad_input_helpers import assert_bad, assert_clean, at_root, scan

__all__ = ["at_root"]
pytestmark = pytest.mark.usefixtures("at_root")

KEY = '```hcl\nresource "aws_iam_access_key" "{name}" {{\n  user = "ci"\n}}\n```\n'


def _answer(tmp_path: Path, text: str) -> str:
    f = tmp_path / "answer.md"
    f.write_text(text, encoding="utf-8")
    return str(f)


def test_no_code_blocks_is_an_empty_scan_not_an_error(tmp_path: Path) -> None:
    md = _answer(tmp_path, "# Rotating keys\n\nUse IAM Identity Center instead of `aws_iam_access_key`.\n")
    s = scan(tmp_path, md, good=False)
    assert_clean(s)
    assert s.code == 0
    assert s.report["summary"]["files_scanned"] == 1 and s.report["summary"]["resources_scanned"] == 0


def test_unterminated_fence_runs_to_the_end_and_keeps_complete_blocks(tmp_path: Path) -> None:
    text = (
        "Here is the setup:\n\n"
        + KEY.format(name="first")
        + "\nAnd the user:\n\n```hcl\n"
        + (
            'resource "aws_iam_access_key" "second" {\n  user = "ci"\n}\n\n'
            'resource "aws_iam_user" "cut" {\n  name = "ci"\n'
        )
    )
    md = _answer(tmp_path, text)
    s = scan(tmp_path, md)
    assert_bad(
        s,
        {
            "file": md,
            "line": 16,
            "message": "HCL syntax error: the block at line 16 is not closed (input ends at line 17)",
        },
    )
    assert {("aws_iam_access_key.first", "NHI_AWS_001", 5), ("aws_iam_access_key.second", "NHI_AWS_001", 13)} <= (
        s.findings_at()
    )


def test_unterminated_unlabelled_terraform_block_is_reported_not_skipped(tmp_path: Path) -> None:
    md = _answer(tmp_path, 'Try:\n\n```\nresource "aws_iam_access_key" "k" {\n  user = "ci"\n')
    s = scan(tmp_path, md)
    assert_bad(
        s,
        {
            "file": md,
            "line": 4,
            "message": "HCL syntax error: the block at line 4 is not closed (input ends at line 5)",
        },
    )


def test_blocks_in_other_languages_are_skipped(tmp_path: Path) -> None:
    text = (
        '```bash\nterraform apply -var \'x={\'\nresource "aws_iam_access_key" "bash" {\n```\n\n'
        "```yaml\nresource:\n  aws_iam_access_key: {\n```\n\n"
        '```json\n{"resource": {"aws_iam_access_key": {"j": {"user": "ci"\n```\n\n'
        "```python\nprint('{')\n```\n\n"
        "```\nnot terraform {{{\n```\n\n"
        "~~~console\n$ terraform plan\n~~~\n\n"
        '    resource "aws_iam_access_key" "indented" {\n\n' + KEY.format(name="real")
    )
    md = _answer(tmp_path, text)
    s = scan(tmp_path, md, good=False)
    assert_clean(s)
    assert s.findings() == {("aws_iam_access_key.real", "NHI_AWS_001")}


def test_ten_thousand_blocks(tmp_path: Path) -> None:
    text = "".join(f"Step {i}:\n\n" + KEY.format(name=f"k{i}") + "\n" for i in range(10_000))
    md = _answer(tmp_path, text)
    started = time.monotonic()
    s = scan(tmp_path, md, good=False)
    elapsed = time.monotonic() - started
    assert_clean(s)
    assert len(s.report["findings"]) == 10_000
    # every block keeps its own line in the Markdown file
    assert ("aws_iam_access_key.k0", "NHI_AWS_001", 5) in s.findings_at()
    assert ("aws_iam_access_key.k9999", "NHI_AWS_001", 9999 * 8 + 5) in s.findings_at()
    assert elapsed < 120, f"10,000 blocks took {elapsed:.0f} s"


def test_markdown_over_the_size_limit(tmp_path: Path) -> None:
    md = tmp_path / "answer.md"
    with open(md, "wb") as fh:
        fh.truncate(10 * 1024 * 1024 + 1)
    s = scan(tmp_path, str(md))
    assert_bad(
        s, {"file": str(md), "line": None, "message": "file is larger than the 10 MiB limit (10.0 MiB); not scanned"}
    )


@pytest.mark.parametrize(
    ("text", "errors", "findings"),
    [
        ("```hcl\n```\n", [], set()),  # empty block
        ("```hcl\n\n\n```\n", [], set()),
        # a shorter fence inside a longer one is content, and not HCL
        ("````hcl\n```\nresource\n```\n````\n", [(2, "HCL syntax error: unexpected STRING_CHARS at column 1")], set()),
        (
            "```{.hcl}\n" + 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "a" }\n}\n```\n',
            [],
            {("aws_iam_user.u", "NHI_APR_001", 2), ("aws_iam_user.u", "NHI_APR_002", 2)},
        ),
        (
            '> ```hcl\n> resource "aws_iam_access_key" "q" {\n>   user = "u"\n> }\n> ```\n',
            [],
            {("aws_iam_access_key.q", "NHI_AWS_001", 3)},
        ),  # a quoted block keeps its lines
        (
            '- item\n\n  ```hcl\n  resource "aws_iam_access_key" "l" {\n    user = "u"\n  }\n  ```\n',
            [],
            {("aws_iam_access_key.l", "NHI_AWS_001", 5)},
        ),  # so does one in a list item
    ],
)
def test_odd_fences(
    tmp_path: Path, text: str, errors: list[tuple[int, str]], findings: set[tuple[str, str, int]]
) -> None:
    md = _answer(tmp_path, text)
    s = scan(tmp_path, md, good=False)
    assert [(e["file"], e["line"], e["message"]) for e in s.errors] == [(md, line, msg) for line, msg in errors]
    assert s.findings_at() == findings
