"""Replay every input under fixtures/regressions/: each once crashed, hung or misbehaved."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, TODAY

from scanner.api import ScanOptions, scan
from scanner.policy.config import Config
from scanner.reporters import get_reporter

REGRESSIONS = FIXTURES / "regressions"
INPUTS = sorted(p for p in REGRESSIONS.iterdir() if p.name != "README.md")
#: exact (line, message) load errors of each input; every other input loads cleanly
ERRORS: dict[str, list[tuple[int | None, str]]] = {
    "hcl-exponential-locals.tf": [
        (
            21,  # `l19 = [local.l18, local.l18]`: where the budget ran out
            "expression too complex to evaluate at {file}:21: the values it references expand past the evaluation "
            "budget; it and the rest of the module were evaluated as unknown",
        ),
    ],
    "md-unterminated-unlabelled-block.md": [
        (4, "HCL syntax error: the block at line 4 is not closed (input ends at line 5)"),
    ],
    "plan-huge-number.json.txt": [(None, "invalid JSON: a number is too long to read")],
}
#: a finding that proves the rest of the input was scanned
FINDINGS: dict[str, tuple[str, str]] = {
    "hcl-exponential-locals.tf": ("aws_iam_access_key.k", "NHI_AWS_001"),
    "hcl-huge-int-literal.tf": ("aws_iam_access_key.k", "NHI_AWS_001"),
    "hcl-arithmetic-bombs.tf": ("aws_iam_user.u", "NHI_OWN_001"),
    "hcl-function-edge-cases.tf": ("aws_iam_user.u", "NHI_OWN_001"),
    "hcl-astral-escape-out-of-range.tf": ("aws_iam_user.u", "NHI_OWN_001"),
    "hcl-lone-surrogate-escape.tf": ("aws_iam_user.u", "NHI_APR_001"),
    "plan-lone-surrogate-escape.json": ("aws_iam_user.u", "NHI_APR_001"),
    "plan-inline-policy-name-not-a-string.json": ("aws_iam_role.r", "NHI_AWS_011"),
    "plan-widening-inline-policy-name-not-a-string.json": ("aws_iam_role.r", "NHI_AWS_050"),
    "tfjson-unbalanced-template.tf.json": ("aws_iam_user.u", "NHI_APR_001"),
    "plan-vault-token-policies-a-map.json": ("vault_token.ci", "NHI_OWN_001"),
}
SECONDS = 30


class _TooSlow(Exception):
    pass


@pytest.fixture
def deadline() -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise _TooSlow(f"took more than {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_every_regression_input_is_listed_in_the_readme() -> None:
    readme = (REGRESSIONS / "README.md").read_text(encoding="utf-8")
    assert [p.name for p in INPUTS if f"`{p.name}`" not in readme] == []


def _case(path: Path) -> object:
    if path.name.startswith("rulebug-"):  # see the README: open bugs in rules, owned elsewhere
        return pytest.param(path, marks=pytest.mark.xfail(strict=True, reason="open rule bug, see README"))
    return path


@pytest.mark.usefixtures("deadline")
@pytest.mark.parametrize("path", [_case(p) for p in INPUTS], ids=lambda p: p.name)
def test_regression_input(path: Path) -> None:
    report = scan([str(path)], ScanOptions(config=Config(), today=TODAY)).report
    expected = [(line, message.format(file=path)) for line, message in ERRORS.get(path.name, [])]
    assert [(e.line, e.message) for e in report.errors] == expected
    for fmt in ("text", "json", "sarif", "markdown"):
        get_reporter(fmt)(report, False).encode("utf-8")  # what the CLI writes
    if path.name in FINDINGS:
        assert FINDINGS[path.name] in {(f.resource, f.rule_id) for f in report.findings}
