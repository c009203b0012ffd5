"""A governance finding is reported once, on the identity, never again on the credentials that
inherit the identity's metadata (README, "Inheritance"). One case per governance rule: a new
governance rule has to add its case here (the last test checks that)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.policy.config import Config
from scanner.rules import all_rules

#: an AWS user and its key, a Google service account and its key: the credentials inherit everything
_PAIRS = """
resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { %(tags)s }
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

resource "google_service_account" "etl" {
  account_id  = "etl"
  description = "%(pairs)s"
}

resource "google_service_account_key" "etl" {
  service_account_id = google_service_account.etl.name
}
"""

_COMPLETE = {
    "owner": "team-a",
    "approved_by": "bob",
    "requested_by": "alice",
    "change_ticket": "CHG-1",
    "expires": "2026-12-01",
}

#: rule -> (metadata that breaks it, config, the resources it must be reported on, exactly once)
CASES: dict[str, tuple[dict[str, str | None], Config, list[str]]] = {
    "NHI_OWN_001": ({"owner": None}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_APR_001": ({"approved_by": None}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_APR_002": ({"change_ticket": None}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_APR_002 ticket_pattern": (
        {"change_ticket": "chg1"},
        Config(ticket_pattern=r"^CHG-\d+$"),
        ["aws_iam_user.ci", "google_service_account.etl"],
    ),
    "NHI_APR_003": ({"approved_by": "alice"}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_APR_003 requester": ({"approved_by": "carol"}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_EXP_001": ({"expires": "2026-01-31"}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    # a lifetime is judged on credentials only: an identity's far expiry is reported on its key, once
    "NHI_EXP_002": ({"expires": "2031-01-31"}, Config(), ["aws_iam_access_key.ci", "google_service_account_key.etl"]),
    "NHI_APR_007": ({}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),  # bob has not approved
    "NHI_APR_008": ({"approved_by": "TBD"}, Config(), ["aws_iam_user.ci", "google_service_account.etl"]),
    "NHI_APR_009": (
        {},
        Config.model_validate({"approval": {"approvers": ["carol"]}}),
        ["aws_iam_user.ci", "google_service_account.etl"],
    ),
    "NHI_APR_010": (
        {},
        Config.model_validate({"approval": {"provisioner": ["bob"]}}),
        ["aws_iam_user.ci", "google_service_account.etl"],
    ),
    # not about a resource's metadata: it reports broken waivers (tests/test_fixtures.py, governance_waivers)
    "NHI_APR_004": ({}, Config(), []),
    # ledger entries name one address each, never inherited: test_ledger_findings_stay_on_the_identity
    "NHI_APR_005": ({}, Config(), []),
    "NHI_APR_006": ({}, Config(), []),
}


def _write(directory: Path, overrides: dict[str, str | None]) -> None:
    meta = {k: v for k, v in {**_COMPLETE, **overrides}.items() if v is not None}
    tags = ", ".join(f'{k} = "{v}"' for k, v in meta.items())
    pairs = " ".join(f"{k}={v}" for k, v in meta.items())
    (directory / "main.tf").write_text(_PAIRS % {"tags": tags, "pairs": pairs}, encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_governance_finding_is_reported_once_on_the_identity(tmp_path: Path, case: str) -> None:
    rule_id = case.split()[0]
    overrides, config, expected = CASES[case]
    _write(tmp_path, overrides)
    requester = "carol" if case.endswith("requester") else None
    reviews = [] if rule_id == "NHI_APR_007" else None  # the pull request's reviews: nobody approved
    options = ScanOptions(config=config, today=TODAY, requester=requester, reviews=reviews, ledger=False)
    report = scan([str(tmp_path)], options).report
    assert report.errors == []
    assert sorted(f.resource for f in report.findings if f.rule_id == rule_id) == expected


def test_the_complete_metadata_raises_no_governance_finding(tmp_path: Path) -> None:
    _write(tmp_path, {})
    report = scan([str(tmp_path)], ScanOptions(config=Config(ticket_pattern=r"^CHG-\d+$"), today=TODAY)).report
    governance = {case.split()[0] for case in CASES}
    assert [(f.rule_id, f.resource) for f in report.findings if f.rule_id in governance] == []


def test_every_governance_rule_has_a_case() -> None:
    governance = {r.id for r in all_rules() if type(r).__module__.startswith("scanner.rules.governance.")}
    assert governance == {case.split()[0] for case in CASES}


def test_ledger_findings_stay_on_the_identity(tmp_path: Path) -> None:
    """An approval ledger entry names one address: its findings (grants changed, approval expired)
    are the identity's, never its credential's."""
    from click.testing import CliRunner

    from scanner.integrations.cli import main

    _write(tmp_path, {})
    approve = CliRunner().invoke(
        main,
        ["approve", str(tmp_path), "aws_iam_user.ci", "--by", "bob", "--ticket", "CHG-1", "--expires", "2026-02-01"],
        env={"NHI_GUARD_TODAY": "2026-01-01"},
    )
    assert approve.exit_code == 0, approve.output
    with (tmp_path / "main.tf").open("a", encoding="utf-8") as fh:  # a grant added after the approval
        statement = '{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }'
        fh.write(f'resource "aws_iam_user_policy" "p" {{\n  user   = aws_iam_user.ci.name\n'
                 f"  policy = jsonencode({{ Statement = [{statement}] }})\n}}\n")  # fmt: skip
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY)).report
    found = sorted((f.rule_id, f.resource) for f in report.findings if f.rule_id in ("NHI_APR_005", "NHI_APR_006"))
    assert found == [("NHI_APR_005", "aws_iam_user.ci"), ("NHI_APR_006", "aws_iam_user.ci")]
