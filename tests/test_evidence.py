"""`--format evidence`: an in-toto Statement v1 naming requester, approvers, ticket and grants."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TODAY
from test_approval import LEDGER_TEXT, ROLE, review

from scanner.api import ScanOptions, Source, scan
from scanner.integrations.cli import main
from scanner.reporters.evidence import PREDICATE_TYPE, STATEMENT_TYPE, render

SECRET = "s3cr3t-Value-that-is-long-enough"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(ROLE, encoding="utf-8")
    (tmp_path / "nhi-guard.approvals.toml").write_text(LEDGER_TEXT, encoding="utf-8")
    (tmp_path / "reviews.json").write_text(json.dumps([review(7, "bob", "APPROVED", 5)]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    return tmp_path


def evidence(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "evidence"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout), result.stdout


def test_the_statement_names_the_head_commit_approvals_had_to_be_of(repo: Path) -> None:
    """With --head-sha an approval of another commit does not count; the record says which commit that
    was (it said nothing, so an approval checked against no head and one checked against the head
    read the same)."""
    code, doc, _ = evidence("infra", "--reviews", "reviews.json", "--head-sha", "4F2A9C1E")
    assert code == 0
    assert doc["predicate"]["verifiedAgainst"]["reviews"]["head"] == "4f2a9c1e"
    _, doc, _ = evidence("infra", "--reviews", "reviews.json")
    assert "head" not in doc["predicate"]["verifiedAgainst"]["reviews"]


def check_statement_shape(doc: dict[str, Any]) -> None:
    """in-toto Statement v1 (github.com/in-toto/attestation spec/v1/statement.md)."""
    assert set(doc) == {"_type", "subject", "predicateType", "predicate"}
    assert doc["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert isinstance(doc["subject"], list) and doc["subject"]
    names = [s["name"] for s in doc["subject"]]
    assert len(set(names)) == len(names)  # SHOULD be unique
    for subject in doc["subject"]:
        assert set(subject) == {"name", "digest"}
        assert isinstance(subject["name"], str) and subject["name"]
        assert set(subject["digest"]) == {"sha256"} and re.fullmatch(r"[0-9a-f]{64}", subject["digest"]["sha256"])
    assert re.fullmatch(r"https://[^\s]+", doc["predicateType"]) and doc["predicateType"] == PREDICATE_TYPE
    assert isinstance(doc["predicate"], dict)


def test_the_statement_names_requester_approver_ticket_and_grants(repo: Path) -> None:
    code, doc, _ = evidence("infra", "--reviews", "reviews.json", "--requester", "alice")
    assert code == 0
    check_statement_shape(doc)
    assert doc["subject"] == [{
        "name": "infra/main.tf",
        "digest": {"sha256": hashlib.sha256((repo / "infra" / "main.tf").read_bytes()).hexdigest()},
    }]  # fmt: skip
    predicate = doc["predicate"]
    assert predicate["requester"] == "alice" and predicate["scannedOn"] == "2026-11-01"
    reviews_sha = hashlib.sha256((repo / "reviews.json").read_bytes()).hexdigest()
    assert predicate["verifiedAgainst"] == {
        "reviews": {"source": "reviews.json", "sha256": reviews_sha, "reviews": 1},
        "ledgers": [{"file": "nhi-guard.approvals.toml",
                     "sha256": hashlib.sha256(LEDGER_TEXT.encode()).hexdigest()}],
        "teams": {},
        "unresolvedTeams": {},
    }  # fmt: skip
    (identity,) = predicate["identities"]
    assert {k: identity[k] for k in ("address", "type", "requester", "ticket", "grants", "grantsDigest")} == {
        "address": "aws_iam_role.etl",
        "type": "aws_iam_role",
        "requester": "alice",
        "ticket": "CHG-1234",
        "grants": ["s3:GetObject on arn:aws:s3:::raw-bucket/*", "trust sts:AssumeRole by Service glue.amazonaws.com"],
        "grantsDigest": "sha256:6eaa80a6096823b23704cf086895cfc39f712ab05265f7373afac35195e6fdf3",
    }
    assert identity["approvers"] == [{
        "name": "bob", "verified": True, "reviewState": "APPROVED", "login": "bob", "reviewId": 7,
        "submittedAt": "2026-10-30T09:05:00Z", "commitId": "4f2a9c1e",
    }]  # fmt: skip
    assert identity["approval"] == {
        "source": "ledger",
        "ledgerEntry": "nhi-guard.approvals.toml:6",
        "approvedOn": "2026-11-01",
        "expires": "2027-05-01",
        "expired": False,
        "approvedGrantsDigest": "sha256:6eaa80a6096823b23704cf086895cfc39f712ab05265f7373afac35195e6fdf3",
    }
    assert identity["verification"][:3] == [
        {"check": "grants are the approved grants", "against": "approval ledger entry nhi-guard.approvals.toml:6",
         "result": "match"},
        {"check": "approval has not expired", "against": "scan date 2026-11-01", "result": "valid"},
        {"check": "bob approved the pull request", "against": "reviews.json",
         "result": "APPROVED (review 7 by bob, 2026-10-30T09:05:00Z)"},
    ]  # fmt: skip
    assert {c["result"] for c in identity["verification"][3:]} == {"pass"}
    assert identity["findings"] == []


def test_the_statement_says_what_failed(repo: Path) -> None:
    (repo / "infra" / "main.tf").write_text(ROLE.replace('["s3:GetObject"]', '["s3:GetObject", "s3:PutObject"]'),
                                            encoding="utf-8")  # fmt: skip
    (repo / "reviews.json").write_text(json.dumps([review(7, "bob", "COMMENTED", 5)]), encoding="utf-8")
    code, doc, _ = evidence("infra", "--reviews", "reviews.json")
    assert code == 1
    (identity,) = doc["predicate"]["identities"]
    assert [c["result"] for c in identity["verification"][:3]] == [
        "changed", "valid", "COMMENTED (review 7 by bob, 2026-10-30T09:05:00Z)"
    ]  # fmt: skip
    assert identity["approvers"][0]["verified"] is False
    assert [f["ruleId"] for f in identity["findings"]] == ["NHI_APR_005", "NHI_APR_007"]
    assert doc["predicate"]["result"]["findings"] == 2


def test_tag_approvals_without_reviews_say_what_was_not_checked(repo: Path) -> None:
    (repo / "nhi-guard.approvals.toml").unlink()
    tagged = ROLE.replace('requested_by = "alice" }', 'requested_by = "alice", approved_by = "bob", ticket = "CHG-1" }')
    (repo / "infra" / "main.tf").write_text(tagged, encoding="utf-8")
    _, doc, _ = evidence("infra")
    (identity,) = doc["predicate"]["identities"]
    assert identity["approvers"] == [{"name": "bob", "verified": None, "reviewState": None}]
    assert identity["verification"][:2] == [
        {"check": "grants are the approved grants", "against": None,
         "result": "not bound: the approval is in tags, not in the approval ledger"},
        {"check": "bob approved the pull request", "against": None,
         "result": "not checked: no pull request reviews were given"},
    ]  # fmt: skip


def test_no_secret_and_no_digest_of_one(repo: Path) -> None:
    leaky = 'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n\nresource "aws_iam_user_login_profile" "ci" {\n' \
            f'  user     = aws_iam_user.ci.name\n  password = "{SECRET}"\n}}\n'  # fmt: skip
    (repo / "infra" / "leaky.tf").write_text(leaky, encoding="utf-8")
    (repo / "infra" / "vars.tf").write_text(f'variable "x" {{ default = "{SECRET}" }}\n', encoding="utf-8")
    _, doc, text = evidence("infra", "--reviews", "reviews.json")
    check_statement_shape(doc)
    assert SECRET not in text
    for name in ("leaky.tf", "vars.tf"):
        assert hashlib.sha256((repo / "infra" / name).read_bytes()).hexdigest() not in text
    assert [s["name"] for s in doc["subject"]] == ["infra/main.tf"]
    assert doc["predicate"]["inputsWithheld"] == ["infra/leaky.tf", "infra/vars.tf"]


def test_when_every_input_is_withheld_the_record_names_itself() -> None:
    text = f'resource "aws_iam_user" "ci" {{\n  name = "ci"\n  tags = {{ token = "{SECRET}" }}\n}}\n' \
           f'resource "aws_secretsmanager_secret_version" "v" {{\n  secret_string = "{SECRET}"\n}}\n'  # fmt: skip
    report = scan([Source("answer.tf", text)], ScanOptions(today=TODAY, provenance=True)).report
    doc = json.loads(render(report))
    check_statement_shape(doc)
    assert [s["name"] for s in doc["subject"]] == ["nhi-guard-predicate"]
    assert doc["predicate"]["inputsWithheld"] == ["answer.tf"]
    canonical = json.dumps(doc["predicate"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert doc["subject"][0]["digest"]["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_waivers_applied_are_recorded_per_identity(repo: Path) -> None:
    waived = ROLE.replace("  tags = {", '  # nhi-guard:ignore NHI_APR_002 reason="ticket system down" owner=team-data '
                                        "expires=2026-12-01\n  tags = {")  # fmt: skip
    (repo / "nhi-guard.approvals.toml").unlink()
    (repo / "infra" / "main.tf").write_text(waived, encoding="utf-8")
    _, doc, _ = evidence("infra")
    (identity,) = doc["predicate"]["identities"]
    assert identity["waiversApplied"] == [{"rule_id": "NHI_APR_002", "origin": "infra/main.tf:7", "owner": "team-data",
                                           "expires": "2026-12-01", "reason": "ticket system down"}]  # fmt: skip
    assert {"check": "a change ticket is named", "against": "nhi-guard NHI_APR_002",
            "result": "waived (infra/main.tf:7, until 2026-12-01)"} in identity["verification"]  # fmt: skip


def test_written_to_a_file_and_through_the_api(repo: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "infra", "--format", "evidence", "-o", "evidence.json"])
    assert result.exit_code == 0
    assert json.loads((repo / "evidence.json").read_text(encoding="utf-8"))["_type"] == STATEMENT_TYPE
    # one more report of the same scan (-o FORMAT=FILE) records the inputs too
    result = CliRunner().invoke(main, ["scan", "infra", "--format", "json", "-o", "evidence=more.json"])
    assert result.exit_code == 0
    assert [s["name"] for s in json.loads((repo / "more.json").read_text(encoding="utf-8"))["subject"]] == [
        "infra/main.tf"
    ]
    report = scan(["infra"], ScanOptions(provenance=True)).report
    assert report.provenance is not None and [i.file for i in report.provenance.inputs] == ["infra/main.tf"]
    assert scan(["infra"]).report.provenance is None  # recorded only when asked for
