"""The Action and issue 14: the ledger, reviews fetched from the (fake) REST API, teams, the evidence record.

The API answers with recorded payloads (tests/data/action/reviews_*.json, team_members.json), shaped
exactly as GitHub's REST API returns them; nothing reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TODAY
from test_action_harness import REPOSITORY, FakeGitHub, fake_github, git, recorded, run_action, runner_env

from scanner.api import ScanOptions, approve

ROLE = """resource "aws_iam_role" "etl" {
  name               = "etl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "glue.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = { owner = "team-data", requested_by = "alice" }
}

resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::raw-bucket/*" }]
  })
}
"""
CONFIG = """[aliases]
alice = ["alice-gh"]
"""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


def ledger_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, head_role: str = ROLE,
                config: str = CONFIG) -> tuple[Path, str, str]:  # fmt: skip
    """Base: the role, approved by bob in the ledger. Head: the role as ``head_role`` has it."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".nhi-guard.toml").write_text(config, encoding="utf-8")
    (repo / "infra" / "etl.tf").write_text(ROLE, encoding="utf-8")
    monkeypatch.chdir(repo)
    approve(["infra"], ["aws_iam_role.etl"], "bob", "CHG-1234", options=ScanOptions(today=TODAY))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base: the approved role")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "infra" / "etl.tf").write_text(head_role, encoding="utf-8")
    git(repo, "commit", "-q", "--allow-empty", "-am", "head")
    return repo, base, git(repo, "rev-parse", "HEAD")


def action(tmp_path: Path, repo: Path, base: str, head: str, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
           **inputs: str) -> tuple[int, list[str], dict[str, str], str]:  # fmt: skip
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head,
                     inputs={"comment": "false", **inputs})  # fmt: skip
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    run = run_action(env, repo, monkeypatch)
    return run.exit_code, run.annotations, run.outputs, run.summary


def test_an_unchanged_approved_role_passes(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    code, annotations, outputs, _ = action(tmp_path, repo, base, head, github, monkeypatch)
    assert (code, annotations, outputs["findings"]) == (0, [], "0")
    assert [(c.method, c.path) for c in github.calls] == [("GET", f"/repos/{REPOSITORY}/pulls/42/reviews")]


def test_a_role_whose_policy_gained_put_object_fails_naming_it(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    widened = ROLE.replace('Action = ["s3:GetObject"]', 'Action = ["s3:GetObject", "s3:PutObject"]')
    repo, base, head = ledger_repo(tmp_path, monkeypatch, widened)
    code, annotations, outputs, summary = action(tmp_path, repo, base, head, github, monkeypatch)
    assert code == 1 and outputs["high"] == "1"
    assert annotations == [
        "::error file=infra/etl.tf,line=1,title=NHI_APR_005 (high)%3A Grants changed since approval::identity "
        "aws_iam_role.etl: grants changed since approval by bob (CHG-1234, 2026-11-01, nhi-guard.approvals.toml:6): "
        "+ s3:PutObject on arn:aws:s3:::raw-bucket/*. Fix: Get the new grants approved (`nhi-guard approve`), or "
        "revert them to what was approved. (aws_iam_role.etl)"
    ]
    assert "nhi-guard.approvals.toml:6): + s3:PutObject on arn:aws:s3:::raw-bucket/\\* |" in summary  # escaped


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ("reviews_approved.json", 0, None),
        ("reviews_commented.json", 1,
         "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
         "only review (#1980001, 2026-10-31T09:12:44Z) is a comment, not an approval"),
        ("reviews_withdrawn.json", 1,
         "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
         "latest review (#1980003, 2026-10-31T11:40:02Z) requests changes"),
    ],
)  # fmt: skip
def test_the_named_approver_is_checked_against_the_pull_requests_reviews(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, payload: str, code: int, message: str | None
) -> None:
    github.reviews[42] = recorded(payload)
    github.page_size = 1  # the reviews come in pages, as GitHub sends them
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    exit_code, _, outputs, _ = action(tmp_path, repo, base, head, github, monkeypatch)
    report = json.loads(Path(outputs["report-file"]).read_text(encoding="utf-8"))
    assert exit_code == code
    assert [f["message"] for f in report["findings"]] == ([message] if message else [])
    pages = [c.query.get("page", ["1"])[0] for c in github.calls if c.path.endswith("/reviews")]
    assert pages == [str(n) for n in range(1, len(recorded(payload)) + 1)]


def test_the_evidence_record_names_requester_approver_ticket_and_grants(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    _, _, outputs, _ = action(tmp_path, repo, base, head, github, monkeypatch)
    statement = json.loads(Path(outputs["evidence-file"]).read_text(encoding="utf-8"))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert [s["name"] for s in statement["subject"]] == ["infra/etl.tf"]
    predicate = statement["predicate"]
    assert predicate["requester"] == "alice-gh"  # the pull request's author
    assert predicate["verifiedAgainst"]["reviews"]["source"] == f"GET /repos/{REPOSITORY}/pulls/42/reviews"
    (identity,) = predicate["identities"]
    assert identity["approvers"] == [{
        "name": "bob", "verified": True, "reviewState": "APPROVED", "login": "bob", "reviewId": 1980002,
        "submittedAt": "2026-10-31T10:03:19Z", "commitId": head,
    }]  # fmt: skip
    assert (identity["requester"], identity["ticket"]) == ("alice", "CHG-1234")
    assert identity["grants"] == [
        "s3:GetObject on arn:aws:s3:::raw-bucket/*",
        "trust sts:AssumeRole by Service glue.amazonaws.com",
    ]
    assert outputs["evidence-artifact"].startswith("nhi-guard-evidence-nhi-guard-")


def test_reviews_the_token_cannot_read_leave_approvers_unverified(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.reviews_status = 403
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    code, annotations, outputs, summary = action(tmp_path, repo, base, head, github, monkeypatch)
    assert code == 1
    problem = (f"GET /repos/{REPOSITORY}/pulls/42/reviews: HTTP 403 (Resource not accessible by integration) "
               "(the token needs `pull-requests: read`)")  # fmt: skip
    assert annotations[0] == (f"::warning title=nhi-guard::cannot read the pull request's reviews: {problem}; "
                              "named approvers are not verified")  # fmt: skip
    report = json.loads(Path(outputs["report-file"]).read_text(encoding="utf-8"))
    assert [f["message"] for f in report["findings"]] == [
        "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but the pull "
        f"request's reviews could not be read ({problem}), so the approval is not verified"
    ]
    assert "The pull request's reviews could not be read" in summary


def test_verify_approvers_false_reads_no_reviews(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.reviews_status = 403
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    code, _, _, _ = action(tmp_path, repo, base, head, github, monkeypatch, **{"verify-approvers": "false"})
    assert code == 0 and github.calls == []


@pytest.mark.parametrize("known", [True, False])
def test_teams_in_the_allowed_approvers_are_read_with_the_teams_token(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, known: bool
) -> None:
    if known:
        github.teams["acme/platform-security"] = recorded("team_members.json")
    config = CONFIG + '\n[approval]\napprovers = ["carol", "@acme/platform-security"]\n'
    repo, base, head = ledger_repo(tmp_path, monkeypatch, config=config)
    code, annotations, outputs, summary = action(tmp_path, repo, base, head, github, monkeypatch)
    assert ("GET", "/orgs/acme/teams/platform-security/members") in [(c.method, c.path) for c in github.calls]
    report = json.loads(Path(outputs["report-file"]).read_text(encoding="utf-8"))
    statement = json.loads(Path(outputs["evidence-file"]).read_text(encoding="utf-8"))
    if known:  # bob is a member
        assert (code, report["findings"]) == (0, [])
        assert statement["predicate"]["verifiedAgainst"]["teams"] == {"acme/platform-security": ["bob", "dana"]}
        return
    why = ("GET /orgs/acme/teams/platform-security/members: HTTP 404 (Not Found) (a token that can read the "
           "organization's members is needed: pass one as `teams-token`; GITHUB_TOKEN cannot)")  # fmt: skip
    assert code == 1
    assert [f["message"] for f in report["findings"]] == [
        "identity aws_iam_role.etl: bob is not one of the allowed approvers (carol, @acme/platform-security); the "
        f"members of @acme/platform-security could not be read: {why}"
    ]
    assert f"::warning title=nhi-guard::cannot read the members of @acme/platform-security: {why}" in annotations
    assert "⚠️ Approvers from `@acme/platform-security` cannot be verified: " in summary
    assert statement["predicate"]["verifiedAgainst"]["unresolvedTeams"] == {"acme/platform-security": why}


def test_a_pull_request_review_event_reruns_the_check(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.reviews[42] = recorded("reviews_commented.json")
    repo, base, head = ledger_repo(tmp_path, monkeypatch)
    assert action(tmp_path, repo, base, head, github, monkeypatch)[0] == 1
    # bob approves: GitHub sends pull_request_review with the pull request in the payload
    github.reviews[42] = recorded("reviews_approved.json")
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head, inputs={"comment": "false"})
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    event["action"], event["review"] = "submitted", recorded("reviews_approved.json")[-1]
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event), encoding="utf-8")
    env["GITHUB_EVENT_NAME"] = "pull_request_review"
    run = run_action(env, repo, monkeypatch)
    assert (run.exit_code, run.outputs["findings"]) == (0, "0")


@pytest.mark.parametrize("accept", [False, True])
def test_an_approval_of_an_earlier_commit_does_not_count(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, accept: bool
) -> None:
    # bob approved the base commit; the author pushed the head after it (GitHub keeps the approval
    # unless the branch dismisses stale reviews)
    config = CONFIG + ("\n[approval]\naccept_earlier_commits = true\n" if accept else "")
    repo, base, head = ledger_repo(tmp_path, monkeypatch, config=config)
    github.reviews[42] = [{**r, "commit_id": base} for r in recorded("reviews_approved.json")]
    exit_code, _, outputs, _ = action(tmp_path, repo, base, head, github, monkeypatch)
    report = json.loads(Path(outputs["report-file"]).read_text(encoding="utf-8"))
    if accept:
        assert (exit_code, report["findings"]) == (0, [])
        return
    assert exit_code == 1
    assert [f["message"] for f in report["findings"]] == [
        "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
        f"approval (#1980002, 2026-10-31T10:03:19Z) is of commit {base[:12]}, not of the pull request's head "
        f"{head[:12]}: the change has changed since, so what they approved is not what merges"
    ]
