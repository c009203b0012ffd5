"""The GitHub Action's logic, run the way a runner runs it (see tests/test_action_harness.py)."""

from __future__ import annotations

import json
import ntpath
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import ROOT
from markdown_it import MarkdownIt
from test_action_harness import (
    COMMENT_LIMIT,
    CONFIG,
    REPOSITORY,
    FakeGitHub,
    build_repo,
    fake_github,
    git,
    line_of,
    run_action,
    runner_env,
)

from scanner.integrations.action.commands import annotation, command, escape_data, escape_property, workspace_path
from scanner.integrations.action.summary import MARKER, SummaryInput, comment_body
from scanner.integrations.cli import main as cli_main
from scanner.model.report import Finding, InventoryItem, Report, Summary

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-2.1.0.json"
MARKER_LINE = "<!-- nhi-guard -->"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


def validate_sarif(doc: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    errors = list(cls(schema).iter_errors(doc))
    assert not errors, errors[0].message


def tables(markdown: str) -> list[list[list[str]]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out: list[list[list[str]]] = []
    row: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            out.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
        elif tok.type == "tr_close":
            out[-1].append(row)
    return out


# --------------------------------------------------------------------------- a pull request, end to end


def test_pull_request_new_only(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = build_repo(tmp_path)
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head,
                     inputs={"new-only": "true", "fail-on": "high"})  # fmt: skip
    run = run_action(env, repo, monkeypatch)

    # exit code: two new high findings, fail-on high
    assert run.exit_code == 1
    main_tf = repo / "infra" / "main.tf"
    key_line = line_of(main_tf, "user = aws_iam_user.deployer.name")
    user_line = line_of(main_tf, 'resource "aws_iam_user" "deployer"')
    assert run.annotations == [
        f"::error file=infra/main.tf,line={user_line},title=NHI_APR_003 (high)%3A Non-human identity approved by "
        "its own requester::identity aws_iam_user.deployer was approved by alice, who is also requesting the "
        "change (alice-gh). Fix: Have someone other than the requester approve it, and record that person in "
        "`approved_by`. (aws_iam_user.deployer)",
        f"::error file=infra/main.tf,line={key_line},title=NHI_AWS_001 (high)%3A Static AWS access key never "
        "expires::aws_iam_access_key.deployer creates a long-lived AWS access key that never expires. Fix: "
        "Replace the access key with a role assumed via OIDC (GitHub Actions, EKS IRSA) or IAM Roles Anywhere. "
        f"(aws_iam_access_key.deployer) See also aws_iam_user.deployer (the IAM user the key belongs to) at "
        f"infra/main.tf:{user_line}.",
    ]

    # outputs
    out = run.outputs
    assert {k: out[k] for k in ("findings", "critical", "high", "medium", "low", "preexisting", "exit-code")} == {
        "findings": "2", "critical": "0", "high": "2", "medium": "0", "low": "0", "preexisting": "3",
        "exit-code": "1",
    }  # fmt: skip
    report = json.loads(Path(out["report-file"]).read_text(encoding="utf-8"))
    assert {f["resource"] for f in report["findings"]} == {"aws_iam_user.deployer", "aws_iam_access_key.deployer"}
    assert report["summary"]["preexisting"] == 3
    sarif = json.loads(Path(out["sarif-file"]).read_text(encoding="utf-8"))
    validate_sarif(sarif)
    # SARIF holds every finding: code scanning tells new from existing alerts itself
    assert len(sarif["runs"][0]["results"]) == 5
    assert Path(out["sarif-file"]).parent.parent == Path(env["RUNNER_TEMP"]) / "nhi-guard"
    assert Path(out["report-file"]).parent == Path(out["sarif-file"]).parent

    # the job summary
    s = run.summary
    assert s.startswith("## nhi-guard\n")
    assert (
        f"**2 new finding(s)** (2 high) in 4 resource(s) from 2 file(s); 3 pre-existing finding(s) hidden "
        f"(already in the base commit `{base[:12]}`); 0 waived." in s
    )
    assert "❌ **2 finding(s) at or above `high`** fail this check" in s
    counts, inventory, findings = tables(s)
    assert counts[0] == ["Category", "critical", "high", "medium", "low", "Total"]
    assert ["approval", "0", "1", "0", "0", "1"] in counts and ["expiry", "0", "1", "0", "0", "1"] in counts
    assert inventory[0] == ["Resource", "Kind", "Action", "Owner", "Expires", "Requested by", "Approved by",
                            "Change ticket", "PR author"]  # fmt: skip
    rows = {r[0]: r for r in inventory[1:]}
    assert set(rows) == {"`aws_iam_user.deployer`", "`aws_iam_access_key.deployer`"}  # moved legacy user: unchanged
    assert rows["`aws_iam_user.deployer`"][1:] == [
        "identity", "create", "`team-platform`", "—", "`carol`", "`alice` ⚠️ self-approval", "`CHG-42`", "`alice-gh`",
    ]  # fmt: skip
    assert "2 unchanged one(s) not shown" in s
    assert findings[0] == ["Line", "Resource", "Rule", "Severity", "Message", "Fix"]
    assert findings[2][0] == f"[{key_line}](https://github.com/{REPOSITORY}/blob/{head}/infra/main.tf#L{key_line})"
    assert "Pull request comment created: https://github.com/" in s

    # the comment
    (post,) = [c for c in github.writes()]
    assert post.method == "POST" and post.path == f"/repos/{REPOSITORY}/issues/42/comments"
    body = post.body["body"] if post.body else ""
    assert body.startswith(MARKER_LINE + "\n## nhi-guard\n") and len(body) <= COMMENT_LIMIT
    assert "`alice` ⚠️ self-approval" in body
    assert "Pull request comment created" not in body
    assert f"[Job summary and logs](https://github.com/{REPOSITORY}/actions/runs/777)" in body
    assert all(c.headers["authorization"] == "Bearer ghs_test_token" for c in github.calls)
    assert all(c.headers["x-github-api-version"] == "2022-11-28" for c in github.calls)

    # untrusted text reaches the log with workflow commands switched off
    token = re.search(r"^::stop-commands::(\S+)$", run.log, re.M)
    assert token and f"\n::{token.group(1)}::\n" in run.log


def test_second_run_updates_the_comment(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = build_repo(tmp_path)
    github.add_comment(42, "LGTM")  # a human's comment is never touched
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head)
    first = run_action(env, repo, monkeypatch)
    assert [(c.method, c.path) for c in github.writes()] == [("POST", f"/repos/{REPOSITORY}/issues/42/comments")]
    (sticky,) = github.marker_comments(42)
    assert "5 finding(s)" in sticky["body"]

    # the next push fixes the access key
    (repo / "infra" / "main.tf").write_text(
        (repo / "infra" / "main.tf")
        .read_text(encoding="utf-8")
        .replace('resource "aws_iam_access_key" "deployer" {\n  user = aws_iam_user.deployer.name\n}\n', ""),
        encoding="utf-8",
    )
    github.calls.clear()
    second = run_action(env, repo, monkeypatch)
    assert [(c.method, c.path) for c in github.writes()] == [
        ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{sticky['id']}")
    ]
    (again,) = github.marker_comments(42)
    assert again["id"] == sticky["id"] and "4 finding(s)" in again["body"]
    assert len(github.comments[42]) == 2 and github.comments[42][0]["body"] == "LGTM"
    assert first.outputs["comment-url"] == second.outputs["comment-url"] == sticky["html_url"]
    assert "Pull request comment updated" in second.summary


def test_duplicate_comments_are_folded_into_the_oldest(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = build_repo(tmp_path)
    github.page_size = 1  # every comment on its own page: the marker is found across pages
    github.add_comment(42, "first human comment")
    oldest = github.add_comment(42, f"{MARKER_LINE}\nold", "github-actions[bot]")
    newer = github.add_comment(42, f"{MARKER_LINE}\nraced", "github-actions[bot]")
    run = run_action(runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head), repo, monkeypatch)
    assert run.exit_code == 1
    assert [(c.method, c.path) for c in github.writes()] == [
        ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{oldest['id']}"),
        ("DELETE", f"/repos/{REPOSITORY}/issues/comments/{newer['id']}"),
    ]
    assert [c["id"] for c in github.marker_comments(42)] == [oldest["id"]]


@pytest.mark.parametrize(("fail_on", "code"), [("none", 0), ("high", 1)])
def test_read_only_token_never_fails_the_job(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, fail_on: str, code: int
) -> None:
    repo, base, head = build_repo(tmp_path)
    github.read_only = True  # a pull request from a fork: GITHUB_TOKEN is read-only
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head, inputs={"fail-on": fail_on})
    run = run_action(env, repo, monkeypatch)
    assert run.exit_code == code  # the findings decide, never the comment
    assert [c.method for c in github.writes()] == ["POST"]
    (warning,) = [a for a in run.annotations if a.startswith("::warning title=nhi-guard::")]
    assert "HTTP 403" in warning and "fork" in warning
    assert "Could not comment on the pull request: HTTP 403" in run.summary and "read-only" in run.summary
    assert run.outputs["comment-url"] == "" and run.outputs["findings"] == "5"
    assert "## nhi-guard" in run.summary and "### Findings" in run.summary


@pytest.mark.parametrize(
    ("config_fail_on", "fail_on_input", "code"),
    [(None, "", 1), ("critical", "", 0), ("critical", "high", 1), ("low", "none", 0)],
)
def test_fail_on_defaults_to_the_config_as_the_cli_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_fail_on: str | None, fail_on_input: str, code: int
) -> None:
    extra = {".nhi-guard.toml": f'fail_on = "{config_fail_on}"\n' + CONFIG} if config_fail_on else {}
    repo, base, head = build_repo(tmp_path, extra_head=extra)
    env = runner_env(tmp_path, repo, "http://127.0.0.1:9", base_sha=base, head_sha=head,
                     inputs={"fail-on": fail_on_input, "comment": "false"})  # fmt: skip
    run = run_action(env, repo, monkeypatch)
    assert run.outputs["critical"] == "0" and int(run.outputs["high"]) > 0
    assert run.exit_code == code
    monkeypatch.chdir(repo)
    cli = CliRunner().invoke(cli_main, ["scan", "infra", *(["--fail-on", fail_on_input] if fail_on_input else [])])
    assert cli.exit_code == code  # the same threshold as the CLI's


def test_api_unreachable_is_reported_and_does_not_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = build_repo(tmp_path)
    env = runner_env(tmp_path, repo, "http://127.0.0.1:9", base_sha=base, head_sha=head, inputs={"fail-on": "none"})
    run = run_action(env, repo, monkeypatch)
    assert run.exit_code == 0
    assert any(a.startswith("::warning") and "cannot comment" in a for a in run.annotations)
    assert "Could not comment on the pull request" in run.summary


def test_comment_is_cut_to_the_size_limit(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = "".join(
        f'resource "aws_iam_access_key" "key_{i:03d}_{"x" * 40}" {{\n  user = aws_iam_user.deployer.name\n}}\n\n'
        for i in range(250)
    )
    repo, base, head = build_repo(tmp_path, {"infra/keys.tf": keys})
    run = run_action(runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head), repo, monkeypatch)
    assert run.outputs["high"] == "252"
    (post,) = github.writes()
    body = post.body["body"] if post.body else ""
    assert body.startswith(MARKER_LINE + "\n") and len(body) <= COMMENT_LIMIT
    assert len(body) > COMMENT_LIMIT - 2_000  # cut near the limit, not far below it
    assert body.rstrip().endswith(
        f"The full summary is in the [job summary](https://github.com/{REPOSITORY}/actions/runs/777)."
    )
    assert "**Cut short**" in body
    assert "Cut short" not in run.summary and run.summary.count("| NHI_AWS_001") == 0
    assert run.summary.count("[NHI_AWS_001]") == 251  # the job summary has every finding
    # 10 error annotations (GitHub shows no more per step); the rest is said once
    assert len([a for a in run.annotations if a.startswith("::error")]) == 10
    assert f"{252 - 10} finding(s) have no annotation" in run.summary


def test_push_event_has_no_comment_and_no_requester(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _, head = build_repo(tmp_path)
    env = runner_env(tmp_path, repo, github.url, head_sha=head, event="push", inputs={"new-only": "true"})
    run = run_action(env, repo, monkeypatch)
    assert github.calls == []
    ids = {f["rule_id"] for f in json.loads(Path(run.outputs["report-file"]).read_text())["findings"]}
    assert "NHI_APR_003" not in ids and "NHI_AWS_001" in ids
    assert "PR author" not in run.summary
    assert "`new-only`: every finding is reported, because it needs a pull request event" in run.summary
    assert run.outputs["preexisting"] == "0" and run.exit_code == 1


def test_shallow_checkout_fetches_the_base_commit(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = build_repo(tmp_path)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    checkout = tmp_path / "checkout"
    # what actions/checkout does: one commit, no history
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin.as_posix()}", str(checkout))
    with pytest.raises(Exception):  # noqa: B017 - git's own error type does not matter
        git(checkout, "cat-file", "-e", f"{base}^{{commit}}")
    env = runner_env(tmp_path, checkout, github.url, base_sha=base, head_sha=head, inputs={"new-only": "true"})
    run = run_action(env, checkout, monkeypatch)
    assert run.outputs["findings"] == "2" and run.outputs["preexisting"] == "3"
    assert git(checkout, "worktree", "list").count("\n") == 0  # the base worktree is gone


def test_unreachable_base_commit_reports_everything(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _, head = build_repo(tmp_path)
    env = runner_env(tmp_path, repo, github.url, base_sha="0" * 40, head_sha=head, inputs={"new-only": "true"})
    run = run_action(env, repo, monkeypatch)
    assert run.outputs["findings"] == "5" and run.outputs["preexisting"] == "0"
    assert any(a.startswith("::warning") and "new-only: every finding is reported" in a for a in run.annotations)


def test_baseline_input(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = build_repo(tmp_path)
    worktree = tmp_path / "base"
    git(repo, "worktree", "add", "-q", "--detach", str(worktree), base)
    monkeypatch.chdir(worktree)
    baseline = tmp_path / "base.json"
    result = CliRunner().invoke(
        cli_main, ["scan", ".", "--format", "json", "--output", str(baseline), "--requester", "alice-gh"]
    )
    assert result.exit_code == 1
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head,
                     inputs={"baseline": str(baseline), "comment": "false"})  # fmt: skip
    run = run_action(env, repo, monkeypatch)
    assert run.outputs["findings"] == "2" and run.outputs["preexisting"] == "3"
    assert "already in the baseline `" in run.summary
    # comment: false: the only call reads the pull request's reviews
    assert [(c.method, c.path) for c in github.calls] == [("GET", f"/repos/{REPOSITORY}/pulls/42/reviews")]


def test_new_only_inventory_shows_a_grant_widened_in_place(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # same address, owner and approver; only the policy changes: the change is in the inventory
    tf = (
        'resource "aws_iam_role" "app" {\n  name               = "app"\n  assume_role_policy = "{}"\n'
        '  tags = { owner = "team-app", approved_by = "bob", requested_by = "carol", ticket = "CHG-7" }\n}\n\n'
        'resource "aws_iam_role_policy_attachment" "app" {\n  role       = aws_iam_role.app.name\n'
        '  policy_arn = "arn:aws:iam::aws:policy/POLICY"\n}\n'
    )
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    shas = []
    for policy in ("ReadOnlyAccess", "AdministratorAccess"):
        (repo / "infra" / "main.tf").write_text(tf.replace("POLICY", policy), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", policy)
        shas.append(git(repo, "rev-parse", "HEAD"))
    env = runner_env(tmp_path, repo, github.url, base_sha=shas[0], head_sha=shas[1],
                     inputs={"new-only": "true", "comment": "false", "fail-on": "none"})  # fmt: skip
    run = run_action(env, repo, monkeypatch)
    report = json.loads(Path(run.outputs["report-file"]).read_text(encoding="utf-8"))
    assert {f["resource"] for f in report["findings"]} == {"aws_iam_role_policy_attachment.app"}
    assert "### NHI inventory of this change (1)" in run.summary and "1 unchanged one(s) not shown" in run.summary
    inventory = tables(run.summary)[1]
    assert [r[:3] for r in inventory[1:]] == [["`aws_iam_role_policy_attachment.app`", "grant", "update"]]


def test_new_only_inventory_shows_a_policy_changed_without_a_new_finding(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # s3:GetObject -> s3:PutObject on one bucket: no finding before or after, but a reviewer must see it;
    # a block moved down the file is no change, and a secret's new value is never hashed
    tf = (
        'resource "aws_iam_role" "app" {\n  name               = "app"\n  assume_role_policy = "{}"\n'
        '  tags = { owner = "team-app", approved_by = "bob", requested_by = "carol", ticket = "CHG-7" }\n'
        '  inline_policy {\n    name   = "s3"\n    policy = jsonencode({ Version = "2012-10-17", Statement = [{\n'
        '      Effect = "Allow", Action = "ACTION", Resource = "arn:aws:s3:::app-bucket/*" }] })\n  }\n}\n'
    )
    role = 'resource "aws_iam_role" "same" {\n  name = "same"\n  assume_role_policy = "{}"\n' \
           '  tags = { owner = "team-app", approved_by = "bob", requested_by = "carol", ticket = "CHG-7" }\n}\n'
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    shas = []
    for action, gap in (("s3:GetObject", ""), ("s3:PutObject", "\n\n\n")):
        (repo / "infra" / "main.tf").write_text(gap + role + tf.replace("ACTION", action), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", action)
        shas.append(git(repo, "rev-parse", "HEAD"))
    env = runner_env(tmp_path, repo, github.url, base_sha=shas[0], head_sha=shas[1],
                     inputs={"new-only": "true", "comment": "false", "fail-on": "none"})  # fmt: skip
    run = run_action(env, repo, monkeypatch)
    assert "### NHI inventory of this change (1)" in run.summary and "1 unchanged one(s) not shown" in run.summary
    inventory = tables(run.summary)[1]
    assert [r[:3] for r in inventory[1:]] == [["`aws_iam_role.app`", "identity", "update"]]


def test_plan_points_at_source_lines(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    case = "tests/data/action/source_map"
    env = runner_env(tmp_path, ROOT, github.url, event="push",
                     inputs={"plan": f"{case}/plan.json", "path": f"{case}/infra", "fail-on": "none"})  # fmt: skip
    run = run_action(env, ROOT, monkeypatch)
    assert run.exit_code == 0
    worker = f"{case}/infra/modules/worker/main.tf"
    key_line = line_of(ROOT / case / "infra" / "main.tf", "user  = aws_iam_user.ci.name")
    assert [a.split("::")[1] for a in run.annotations if a.startswith("::error")] == [
        f"error file={case}/infra/main.tf,line={key_line},title=NHI_AWS_001 (high)%3A Static AWS access key never "
        "expires"
    ] * 2
    report = json.loads(Path(run.outputs["report-file"]).read_text(encoding="utf-8"))
    files = {f["file"] for f in report["findings"]}
    assert f"{case}/plan.json" in files  # aws_iam_user.ghost: declared nowhere
    assert worker in files and f"{case}/infra/modules/app/main.tf" in files


@pytest.mark.parametrize(
    ("inputs", "needle"),
    [
        ({"fail-on": "severe"}, "input 'fail-on' must be critical, high, medium, low or none"),
        ({"new-only": "maybe"}, "input 'new-only' must be true or false"),
        ({"config": "nope.toml"}, "input 'config': nope.toml: config file not found"),
        ({"baseline": "missing.json"}, "input 'baseline': missing.json: cannot read baseline"),
    ],
)
def test_bad_inputs_fail_with_one_error(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str], needle: str
) -> None:
    repo, base, head = build_repo(tmp_path)
    run = run_action(runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head, inputs=inputs), repo,
                     monkeypatch)  # fmt: skip
    assert run.exit_code == 2
    (error,) = run.annotations
    assert error.startswith("::error title=nhi-guard::") and needle in error


def test_bad_config_fails(tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = build_repo(tmp_path)
    (repo / ".nhi-guard.toml").write_text("max_credentail_days = 3\n", encoding="utf-8")
    run = run_action(runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head), repo, monkeypatch)
    assert run.exit_code == 2 and "unknown key 'max_credentail_days'" in run.annotations[0]


def test_input_errors_exit_2_with_the_summary(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = build_repo(tmp_path, {"infra/broken.tf": 'resource "aws_iam_user" "x" {\n'})
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head, inputs={"fail-on": "none"})
    run = run_action(env, repo, monkeypatch)
    assert run.exit_code == 2 and run.outputs["exit-code"] == "2"
    assert "⚠️ **incomplete scan**" in run.summary and "### Input errors" in run.summary
    assert "infra/broken.tf" in run.summary


# --------------------------------------------------------------------------- pieces


def test_workflow_command_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("error", "x::y\nz", file="d/a,b:c.tf", line=3, title="T: 1, 2") == (
        "::error file=d/a%2Cb%3Ac.tf,line=3,title=T%3A 1%2C 2::x::y%0Az"
    )
    assert command("endgroup") == "::endgroup::"
    f = Finding(
        rule_id="NHI_X_001", category="expiry", severity="low", title="t", message="two\nlines", remediation="fix",
        resource='m["a,b"].r', resource_type="r", file="<stdin>", line=3, fingerprint="0" * 32, help_uri="",
    )  # fmt: skip
    assert annotation(f, "/ws") == '::notice line=3,title=NHI_X_001 (low)%3A t::two%0Alines. Fix: fix (m["a,b"].r)'


WIN_WS = "D:\\a\\infra\\infra"


@pytest.mark.parametrize(
    ("file", "cwd", "workspace", "path", "want"),
    [
        ("infra/main.tf", "/ws", "/ws", posixpath, "infra/main.tf"),
        ("main.tf", "/ws/infra", "/ws", posixpath, "infra/main.tf"),  # run from a subdirectory
        ("../other/x.tf", "/ws", "/ws", posixpath, "../other/x.tf"),  # outside: as given
        ("..infra/main.tf", "/ws", "/ws", posixpath, "..infra/main.tf"),  # a name that starts with ..
        ("<stdin>", "/ws", "/ws", posixpath, "<stdin>"),
        # Windows runners: backslashes become forward slashes, as GitHub matches them
        ("infra\\modules\\app\\main.tf", WIN_WS, WIN_WS, ntpath, "infra/modules/app/main.tf"),
        ("infra/modules/app/main.tf", WIN_WS, WIN_WS, ntpath, "infra/modules/app/main.tf"),
        ("main.tf", WIN_WS + "\\infra", WIN_WS, ntpath, "infra/main.tf"),
        ("infra\\main.tf", WIN_WS, WIN_WS.lower(), ntpath, "infra/main.tf"),  # drive and case differ
        (WIN_WS + "\\infra\\main.tf", "C:\\", WIN_WS, ntpath, "infra/main.tf"),
        ("C:\\temp\\plan.json", WIN_WS, WIN_WS, ntpath, "C:/temp/plan.json"),  # another drive
        ("..\\shared\\x.tf", WIN_WS, WIN_WS, ntpath, "../shared/x.tf"),
    ],
)
def test_annotation_paths_are_workspace_relative_with_forward_slashes(
    file: str, cwd: str, workspace: str, path: Any, want: str
) -> None:
    assert workspace_path(file, workspace, cwd=cwd, path=path) == want


def test_annotation_of_a_finding_from_a_subdirectory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    monkeypatch.chdir(tmp_path / "infra")
    f = _finding(3)
    assert annotation(f, str(tmp_path)).startswith("::error file=infra/main.tf,line=3,title=NHI_AWS_001 (high)%3A t::")


def _finding(i: int) -> Finding:
    return Finding(
        rule_id="NHI_AWS_001", category="expiry", severity="high", title="t", message="m " * 200,
        remediation="r", resource=f"aws_iam_access_key.k{i}", resource_type="aws_iam_access_key",
        file="main.tf", line=i, fingerprint=f"{i:032d}", help_uri="https://example.com/r#x",
    )  # fmt: skip


@pytest.mark.parametrize("n", [0, 1, 150, 2000])
def test_comment_body_fits_and_renders(n: int) -> None:
    report = Report(
        findings=[_finding(i) for i in range(n)],
        inventory=[
            InventoryItem(
                resource=f"aws_iam_user.u{i}",
                resource_type="aws_iam_user",
                kind="identity",
                owner="😀" * 20,
                file="main.tf",
                line=i,
                action="create",
            )
            for i in range(n)
        ],
        summary=Summary(total=n, by_severity={"critical": 0, "high": n, "medium": 0, "low": 0}),
    )
    body = comment_body(SummaryInput(report=report, fail_on=None, pr_author="bob"), "https://x/run")
    assert body.startswith(MARKER + "\n") and len(body.encode("utf-16-le")) // 2 <= COMMENT_LIMIT
    for table in tables(body):
        assert len({len(r) for r in table}) == 1  # a cut never leaves a broken row
    assert ("Cut short" in body) == (n >= 150)


# --------------------------------------------------------------------------- --requester (separation of duties)


@pytest.mark.parametrize(
    ("args", "env", "approvers"),
    [
        ([], {}, []),
        (["--requester", "alice-gh"], {}, ["aws_iam_user.deployer"]),  # an alias of alice in the config
        (["--requester", "ALICE"], {}, ["aws_iam_user.deployer"]),
        (["--requester", "bob"], {}, ["aws_iam_role.app"]),  # bob approved the app role
        (["--requester", "dave"], {}, []),
        ([], {"NHI_GUARD_REQUESTER": "alice@example.com"}, ["aws_iam_user.deployer"]),
        (["--requester", " "], {}, []),
    ],
)
def test_requester_self_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], approvers: list[str]
) -> None:
    repo, _, _ = build_repo(tmp_path)
    monkeypatch.chdir(repo)
    monkeypatch.delenv("NHI_GUARD_REQUESTER", raising=False)
    result = CliRunner().invoke(cli_main, ["scan", "infra", "--format", "json", *args], env=env)
    data = json.loads(result.stdout)
    found = [f for f in data["findings"] if f["rule_id"] == "NHI_APR_003"]
    # once, on the user that names the approver: not again on its access key, which inherits the tags
    assert [f["resource"] for f in found] == approvers
    for f in found:
        assert f["message"].startswith(f"identity {f['resource']} was approved by ")
        assert "who is also requesting the change" in f["message"]


def test_requested_by_tag_still_wins_with_its_own_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = build_repo(tmp_path)
    main_tf = repo / "infra" / "main.tf"
    main_tf.write_text(main_tf.read_text(encoding="utf-8").replace('"carol"', '"alice"', 1), encoding="utf-8")
    monkeypatch.chdir(repo)
    plain = json.loads(CliRunner().invoke(cli_main, ["scan", "infra", "--format", "json"]).stdout)
    pr = json.loads(CliRunner().invoke(cli_main, ["scan", "infra", "--format", "json", "--requester", "x"]).stdout)
    self_approved = [f for f in plain["findings"] if f["rule_id"] == "NHI_APR_003"]
    assert self_approved and self_approved == [f for f in pr["findings"] if f["rule_id"] == "NHI_APR_003"]
    assert "was approved by its requester (alice)" in self_approved[0]["message"]


def test_internal_error_is_one_line_and_exit_2(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, base, head = build_repo(tmp_path)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-looking text")

    monkeypatch.setattr("scanner.integrations.action.run.scan", boom)
    env = runner_env(tmp_path, repo, github.url, base_sha=base, head_sha=head)
    run = run_action(env, repo, monkeypatch)
    assert run.exit_code == 2 and run.outputs == {"exit-code": "2"}
    assert run.annotations == [
        "::error title=nhi-guard::internal error: RuntimeError; rerun with debug logging (RUNNER_DEBUG=1) for details"
    ]
    assert "secret-looking" not in run.log and "Traceback" not in run.log
    run = run_action({**env, "RUNNER_DEBUG": "1"}, repo, monkeypatch)
    assert "Traceback" in run.log
