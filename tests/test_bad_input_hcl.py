"""Broken and unusual HCL: each case, its exact error (or none), and the rest still scanned."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_bad_input_helpers import GOOD_FINDING, assert_bad, assert_clean, at_root, scan

__all__ = ["at_root"]
pytestmark = pytest.mark.usefixtures("at_root")

KEY = 'resource "aws_iam_access_key" "{name}" {{\n  user = "ci"\n}}\n'


def _module(tmp_path: Path, text: str | bytes, name: str = "main.tf") -> str:
    d = tmp_path / "mod"
    d.mkdir(exist_ok=True)
    f = d / name
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text, encoding="utf-8", newline="")
    return str(d)


def test_truncated_block_keeps_the_blocks_before_it(tmp_path: Path) -> None:
    text = KEY.format(name="whole") + "\n" + 'resource "aws_iam_access_key" "cut" {\n  user = "ci"\n'
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    assert_bad(
        s,
        {
            "file": f"{d}/main.tf",
            "line": 5,
            "message": "HCL syntax error: the block at line 5 is not closed (input ends at line 6)",
        },
    )
    assert ("aws_iam_access_key.whole", "NHI_AWS_001", 2) in s.findings_at()
    assert not any(r == "aws_iam_access_key.cut" for r, _ in s.findings())


def test_unbalanced_braces_lose_only_their_block(tmp_path: Path) -> None:
    text = KEY.format(name="a") + '\nresource "aws_iam_user" "u" {\n  name = "x"\n}}\n\n' + KEY.format(name="b")
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    assert_bad(s, {"file": f"{d}/main.tf", "line": 7, "message": "HCL syntax error: unexpected RBRACE at column 2"})
    assert {("aws_iam_access_key.a", "NHI_AWS_001", 2), ("aws_iam_access_key.b", "NHI_AWS_001", 10)} <= s.findings_at()


def test_a_broken_file_leaves_the_other_files_of_its_module(tmp_path: Path) -> None:
    d = _module(tmp_path, 'resource "aws_iam_user" "x" {\n  name = = "y"\n}\n')
    _module(tmp_path, KEY.format(name="ok"), "keys.tf")
    s = scan(tmp_path, d)
    # the token type, never its text: the text could be a secret
    assert_bad(
        s, {"file": f"{d}/main.tf", "line": 2, "message": "HCL syntax error: unexpected STRING_CHARS at column 10"}
    )
    assert ("aws_iam_access_key.ok", "NHI_AWS_001") in s.findings()


def test_invalid_utf8_is_replaced_and_the_file_still_scanned(tmp_path: Path) -> None:
    text = b'resource "aws_iam_user" "u" {\n  name = "caf\xe9"\n}\n' + KEY.format(name="k").encode()
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    assert_bad(
        s,
        {
            "file": f"{d}/main.tf",
            "line": 2,
            "message": "file is not valid UTF-8; undecodable bytes were replaced and the rest was scanned",
        },
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001", 5) in s.findings_at()


def test_binary_garbage_is_a_syntax_error(tmp_path: Path) -> None:
    d = _module(tmp_path, bytes(range(256)) * 4)
    s = scan(tmp_path, d)
    assert s.code == 2
    assert [e["file"] for e in s.errors] == [f"{d}/main.tf", f"{d}/main.tf"]
    messages = sorted(e["message"] for e in s.errors)
    assert messages[0].startswith("HCL syntax error: ") and "not valid UTF-8" in messages[1]
    assert GOOD_FINDING in s.findings()


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("bom", "\ufeff" + KEY.format(name="k")),
        ("crlf", KEY.format(name="k").replace("\n", "\r\n")),
        ("tabs", KEY.format(name="k").replace("  ", "\t").replace(" = ", "\t=\t")),
        ("unquoted labels", 'resource aws_iam_access_key k {\n  user = "ci"\n}\n'),
        ("mixed endings", 'resource "aws_iam_access_key" "k" {\r\n\tuser = "ci"\n}\r\n'),
    ],
)
def test_harmless_variations_scan_like_plain_hcl(tmp_path: Path, case: str, text: str) -> None:
    d = _module(tmp_path, text)
    s = scan(tmp_path, d, good=False)
    assert_clean(s)
    assert s.findings_at() == {("aws_iam_access_key.k", "NHI_AWS_001", 2)}


def test_crlf_waiver_and_heredoc_policy(tmp_path: Path) -> None:
    text = (
        'resource "aws_iam_access_key" "k" {\n'
        '  # nhi-guard:ignore NHI_AWS_001 reason="vendor" owner=team-a expires=2099-01-01\n'
        '  user = "ci"\n'
        "}\n\n"
        'resource "aws_iam_policy" "p" {\n'
        '  name   = "p"\n'
        "  policy = <<EOF\n"
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\n'
        "EOF\n"
        "}\n"
    ).replace("\n", "\r\n")
    d = _module(tmp_path, text)
    s = scan(tmp_path, d, good=False)
    assert_clean(s)
    assert s.report["summary"]["suppressed"] == 1
    assert ("aws_iam_policy.p", "NHI_AWS_010") in s.findings()


def test_empty_files_are_fine(tmp_path: Path) -> None:
    d = _module(tmp_path, "")
    _module(tmp_path, "\n\n  \n# only a comment\n", "other.tf")
    s = scan(tmp_path, d, good=False)
    assert_clean(s)
    assert s.code == 0
    assert s.report["summary"]["files_scanned"] == 2


def test_directory_without_terraform_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    (d / "README.md").write_text("# nothing\n")
    (d / "sub" / "vars.tfvars").write_text('a = "b"\n')
    s = scan(tmp_path, str(d))
    assert_bad(s, {"file": str(d), "line": None, "message": "directory holds no .tf or .tf.json files"})


def test_deeply_nested_expression_is_reported_and_the_rest_scanned(tmp_path: Path) -> None:
    text = (
        KEY.format(name="k")
        + 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = '
        + "[" * 5000
        + "]" * 5000
        + "\n}\n"
    )
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    assert_bad(
        s,
        {
            "file": f"{d}/main.tf",
            "line": 6,
            "message": f"expression nested too deeply to evaluate at {d}/main.tf:6 (past 100 levels of brackets or "
            "calls); it was evaluated as unknown",
        },
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001", 2) in s.findings_at()
    # an unknown `tags` is never "no owner"
    assert ("aws_iam_user.u", "NHI_OWN_001") not in s.findings()


def test_an_exhausted_evaluation_budget_names_the_expression(tmp_path: Path) -> None:
    """Not "nested too deeply": the expression is flat, its values expand (issue 12)."""
    doubling = "".join(f"  l{i} = [local.l{i - 1}, local.l{i - 1}]\n" for i in range(1, 41))
    text = (
        KEY.format(name="k")
        + 'resource "aws_iam_policy" "p" {\n  name   = "p"\n  policy = jsonencode(local.l40)\n}\n'
        + 'locals {\n  l0 = ["x"]\n' + doubling + "}\n"
    )
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    (error,) = s.errors
    assert error["file"] == f"{d}/main.tf" and isinstance(error["line"], int) and 10 < error["line"] < 52
    assert error["message"] == (
        f"expression too complex to evaluate at {d}/main.tf:{error['line']}: the values it references expand past "
        "the evaluation budget; it and the rest of the module were evaluated as unknown"
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


@pytest.mark.parametrize("levels", [2, 3])
def test_nested_dynamic_blocks_are_bounded(tmp_path: Path, levels: int) -> None:
    """Each level multiplies: three levels over range(1000) were a billion blocks (55 s and 3.4 GB at
    two and a half levels); past 10,000 written blocks the rest are unknown, with one error."""
    body = "content { v = 1 }"
    for depth in range(levels, 0, -1):
        body = f'dynamic "b{depth}" {{\n for_each = range(1000)\n {body}\n}}'
        if depth > 1:
            body = "content {\n" + body + "\n}"
    text = 'resource "aws_iam_role" "r" {\n  name = "r"\n' + body + "\n}\n"
    d = _module(tmp_path, text)
    started = time.process_time()
    s = scan(tmp_path, d)
    assert time.process_time() - started < 20  # unbounded, it did not end in minutes
    # the innermost for_each crosses the limit: the line after its block's label
    line = text[: text.index(f'"b{levels}"')].count("\n") + 2
    assert_bad(s, {"file": f"{d}/main.tf", "line": line, "message": "more than 10000 blocks written by dynamic "
                   "blocks; the rest were evaluated as unknown"})  # fmt: skip
    assert ("aws_iam_role.r", "NHI_OWN_001") in s.findings()


def test_moderate_nesting_is_evaluated(tmp_path: Path) -> None:
    text = (
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = merge(' * 1 + "merge(" * 40 + "{}" + ")" * 40 + ")\n}\n"
    )
    d = _module(tmp_path, text)
    s = scan(tmp_path, d, good=False)
    assert_clean(s)
    assert ("aws_iam_user.u", "NHI_OWN_001") in s.findings()  # evaluated to {}: no owner, known


def _five_mb_module() -> str:
    """About 5 MB of realistic Terraform: roles with heredoc policies, users and keys."""
    policy = (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
        + ",\n".join(
            f'    {{"Sid": "S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], '
            f'"Resource": "arn:aws:s3:::bucket-{i}/*"}}'
            for i in range(12)
        )
        + "\n  ]\n}"
    )
    parts = []
    i = 0
    size = 0
    while size < 5 * 1024 * 1024:
        block = (
            f'resource "aws_iam_role" "r{i}" {{\n  name = "role-{i}"\n'
            f"  assume_role_policy = data.aws_iam_policy_document.trust.json\n"
            f'  tags = {{ owner = "team-{i % 7}", approved_by = "alice", ticket = "CHG-{i}" }}\n}}\n\n'
            f'resource "aws_iam_role_policy" "p{i}" {{\n  role   = aws_iam_role.r{i}.id\n'
            f"  policy = <<EOF\n{policy}\nEOF\n}}\n\n"
        )
        parts.append(block)
        size += len(block)
        i += 1
    parts.append(KEY.format(name="last"))
    return "".join(parts)


def test_five_megabyte_file(tmp_path: Path) -> None:
    text = _five_mb_module()
    assert len(text) >= 5 * 1024 * 1024
    d = _module(tmp_path, text)
    started = time.monotonic()
    s = scan(tmp_path, d, good=False)
    elapsed = time.monotonic() - started
    assert_clean(s)
    last_line = text.count("\n") - 1
    assert ("aws_iam_access_key.last", "NHI_AWS_001", last_line) in s.findings_at()
    assert s.report["summary"]["resources_scanned"] > 1000
    assert elapsed < 120, f"a 5 MB file took {elapsed:.0f} s"


def test_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    d = tmp_path / "mod"
    d.mkdir()
    with open(d / "huge.tf", "wb") as fh:  # sparse: costs no disk
        fh.truncate(11 * 1024 * 1024)
    (d / "keys.tf").write_text(KEY.format(name="k"))
    s = scan(tmp_path, str(d))
    assert_bad(
        s,
        {
            "file": f"{d}/huge.tf",
            "line": None,
            "message": "file is larger than the 10 MiB limit (11.0 MiB); not scanned",
        },
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


# --------------------------------------------------------------------------- large heredocs

def _policy_heredoc(statements: int, marker: str = "EOT", trim: bool = False) -> str:
    body = ",\n".join(
        f'    {{"Sid": "s{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-{i}/*"}}'
        for i in range(statements)
    )
    indent = "    " if trim else ""
    return (
        f'resource "aws_iam_policy" "big" {{\n  name   = "big"\n  policy = <<{"-" if trim else ""}{marker}\n'
        f'{indent}{{"Version": "2012-10-17", "Statement": [\n{body},\n'
        f'    {{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}]}}\n{indent}{marker}\n}}\n'
    )


@pytest.mark.parametrize("trim", [False, True])
def test_a_large_heredoc_keeps_its_value_and_the_lines_after_it(tmp_path: Path, trim: bool) -> None:
    """Bodies over 64 KB are cut out before Lark parses (its heredoc regex needs memory per
    character: 1.5 GB for 7 MB) and put back after: the same value, the same lines."""
    heredoc = _policy_heredoc(3000, trim=trim)
    text = '# "<<EOT" in a comment is not a heredoc\n' + heredoc + "\n" + KEY.format(name="after")
    d = _module(tmp_path, text)
    s = scan(tmp_path, d, good=False)
    assert_clean(s)
    key_line = text.splitlines().index('resource "aws_iam_access_key" "after" {') + 1
    assert ("aws_iam_access_key.after", "NHI_AWS_001", key_line + 1) in s.findings_at()
    # the last statement of the body, 3,000 statements in: the value was read whole
    assert ("aws_iam_policy.big", "NHI_AWS_011") in s.findings()


def test_an_unclosed_large_heredoc_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    text = KEY.format(name="k") + _policy_heredoc(3000).replace("\nEOT\n", "\nNOT_THE_MARKER\n")
    d = _module(tmp_path, text)
    s = scan(tmp_path, d)
    (error,) = s.errors
    assert error["file"] == f"{d}/main.tf" and error["message"].startswith("HCL syntax error")
