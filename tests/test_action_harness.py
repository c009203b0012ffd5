"""A GitHub runner in miniature, for the action's tests (tests/test_action*.py).

* :class:`FakeGitHub`: a local HTTP server on 127.0.0.1 that stands in for the REST API's
  issue-comment, pull-request-review and team-member endpoints, records every call, paginates
  like GitHub (``Link: rel="next"``), rejects bodies over 65,536 characters (422) and, in
  ``read_only`` mode, answers writes with 403 as GitHub does for a fork's token. Its reviews and
  team members are recorded payloads (tests/data/action/reviews_*.json, team_members.json);
* :func:`build_repo`: a two-commit git repository (base: a legacy user; head: the legacy user
  moved to another file, plus a self-approved deployer user and its access key);
* :func:`runner_env`: the ``GITHUB_*`` environment of a run, with a ``pull_request`` payload;
* :func:`run_action`: runs ``python -m scanner.integrations.action``'s ``main`` the way the step does and
  collects exit code, log, annotations, step summary and outputs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ROOT

from scanner.integrations.action.run import main

EVENT_TEMPLATE = ROOT / "tests" / "data" / "action" / "pull_request_event.json"
REPOSITORY = "acme/infra"
TOKEN = "ghs_test_token"
COMMENT_LIMIT = 65_536

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


# --------------------------------------------------------------------------- fake REST API


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any] | None


#: the commit the recorded reviews approve; served as the head commit of the pull request the running
#: Action's event names, as if they were given on it (a test that wants a review of another commit
#: writes that commit's SHA instead)
RECORDED_COMMIT = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"


def _on_head(review: dict[str, Any], event_path: Path | None) -> dict[str, Any]:
    if review.get("commit_id") != RECORDED_COMMIT or event_path is None:
        return review
    event = json.loads(event_path.read_text(encoding="utf-8"))
    head = ((event.get("pull_request") or {}).get("head") or {}).get("sha")
    return {**review, "commit_id": head} if head else review


@dataclass
class FakeGitHub:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    read_only: bool = False
    page_size: int = 100
    #: pull request number -> its reviews, as GET /repos/{owner}/{repo}/pulls/{n}/reviews returns them
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: {42: recorded("reviews_approved.json")})
    #: "org/slug" -> members, as GET /orgs/{org}/teams/{slug}/members returns them
    teams: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: status for the reviews endpoint instead of the reviews (403: a token without pull-requests read)
    reviews_status: int = 200
    #: the event file of the Action run under test (runner_env sets it): recorded reviews are of its head
    event_path: Path | None = None
    _next_id: int = 1000

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": login},
            "created_at": f"2026-11-01T00:00:{self._next_id % 60:02d}Z",
            "html_url": f"https://github.com/{REPOSITORY}/pull/{number}#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]

    def marker_comments(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.get(number, []) if c["body"].startswith("<!-- nhi-guard -->")]

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parsed = urlparse(raw_path)
        body = json.loads(raw) if raw else None
        self.calls.append(Call(method, parsed.path, parse_qs(parsed.query), headers, body))
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}, {}
        m = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments", parsed.path)
        if m and method == "GET":
            return self._page(self.comments.get(int(m.group(1)), []), parsed.path, parsed.query)
        pulls = re.fullmatch(rf"/repos/{REPOSITORY}/pulls/(\d+)/reviews", parsed.path)
        if pulls and method == "GET":
            if self.reviews_status != 200:
                return self.reviews_status, {"message": "Resource not accessible by integration"}, {}
            reviews = [_on_head(r, self.event_path) for r in self.reviews.get(int(pulls.group(1)), [])]
            return self._page(reviews, parsed.path, parsed.query)
        members = re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/members", parsed.path)
        if members and method == "GET":
            team = f"{members.group(1)}/{members.group(2)}".lower()
            if team not in self.teams:
                return 404, {"message": "Not Found"}, {}
            return self._page(self.teams[team], parsed.path, parsed.query)
        if method != "GET" and self.read_only:
            return 403, {"message": "Resource not accessible by integration"}, {}
        if method in ("POST", "PATCH") and (not isinstance(body, dict) or len(body.get("body", "")) > COMMENT_LIMIT):
            return 422, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}, {}
        if m and method == "POST":
            assert body is not None
            return 201, self.add_comment(int(m.group(1)), body["body"], "github-actions[bot]"), {}
        m = re.fullmatch(rf"/repos/{REPOSITORY}/issues/comments/(\d+)", parsed.path)
        if m:
            cid = int(m.group(1))
            for items in self.comments.values():
                for c in items:
                    if c["id"] == cid:
                        if method == "PATCH":
                            assert body is not None
                            c["body"] = body["body"]
                            return 200, c, {}
                        if method == "DELETE":
                            items.remove(c)
                            return 204, None, {}
        return 404, {"message": "Not Found"}, {}

    def _page(self, items: list[Any], path: str, query: str) -> tuple[int, Any, dict[str, str]]:
        page = int(parse_qs(query).get("page", ["1"])[0])
        chunk = items[(page - 1) * self.page_size : page * self.page_size]
        extra = {}
        if page * self.page_size < len(items):
            extra["Link"] = f'<{self.url}{path}?per_page=100&page={page + 1}>; rel="next"'
        return 200, chunk, extra


def recorded(name: str) -> Any:
    """A recorded API payload from tests/data/action/."""
    return json.loads((ROOT / "tests" / "data" / "action" / name).read_text(encoding="utf-8"))


#: the fake APIs serving now, so that runner_env can tell one which event its Action run reads
_SERVING: list[FakeGitHub] = []


@contextlib.contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    """The fake API, serving on 127.0.0.1 for the duration of the block."""
    state = FakeGitHub()
    _SERVING.append(state)

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, extra = state.handle(self.command, self.path, headers, raw)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        _SERVING.remove(state)
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- fixture repository

LEGACY = """resource "aws_iam_user" "legacy" {
  name = "legacy-batch"
}
"""
APP = """resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
  tags = { owner = "team-app", approved_by = "bob", requested_by = "carol", ticket = "CHG-7" }
}
"""
DEPLOYER = """resource "aws_iam_user" "deployer" {
  name = "ci-deployer"
  tags = {
    owner        = "team-platform"
    requested_by = "carol"
    approved_by  = "alice"
    ticket       = "CHG-42"
  }
}

resource "aws_iam_access_key" "deployer" {
  user = aws_iam_user.deployer.name
}
"""
CONFIG = """[aliases]
alice = ["alice@example.com", "alice-gh"]
"""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always",
         *args],
        cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return proc.stdout.strip()


def build_repo(root: Path, extra_head: dict[str, str] | None = None) -> tuple[Path, str, str]:
    repo = root / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".nhi-guard.toml").write_text(CONFIG, encoding="utf-8")
    (repo / "infra" / "main.tf").write_text(APP + "\n" + LEGACY, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "infra" / "main.tf").write_text(DEPLOYER + "\n" + APP, encoding="utf-8")
    (repo / "infra" / "legacy.tf").write_text("# moved out of main.tf\n\n" + LEGACY, encoding="utf-8")
    for name, text in (extra_head or {}).items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add the deployer")
    return repo, base, git(repo, "rev-parse", "HEAD")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------- the runner


def runner_env(
    tmp: Path,
    repo: Path,
    api_url: str,
    *,
    base_sha: str = "",
    head_sha: str = "",
    event: str = "pull_request",
    inputs: dict[str, str] | None = None,
) -> dict[str, str]:
    payload_file = tmp / "event.json"
    if event in ("pull_request", "pull_request_target"):
        text = EVENT_TEMPLATE.read_text(encoding="utf-8").replace("BASE_SHA", base_sha).replace("HEAD_SHA", head_sha)
    else:
        text = json.dumps({"ref": "refs/heads/main", "after": head_sha, "pusher": {"name": "alice-gh"}})
    payload_file.write_text(text, encoding="utf-8")
    for state in _SERVING:
        if state.url == api_url:
            state.event_path = payload_file
    (tmp / "runner-temp").mkdir(exist_ok=True)
    env = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(payload_file),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": api_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "777",
        "GITHUB_SHA": head_sha,
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"),
        "GITHUB_OUTPUT": str(tmp / "github-output.txt"),
        "RUNNER_TEMP": str(tmp / "runner-temp"),
        # the defaults of action.yml's inputs
        "INPUT_PATH": ".",
        "INPUT_PLAN": "",
        "INPUT_CONFIG": "",
        "INPUT_FAIL_ON": "",
        "INPUT_SARIF_FILE": "",
        "INPUT_COMMENT": "",
        "INPUT_NEW_ONLY": "false",
        "INPUT_BASELINE": "",
        "INPUT_GITHUB_TOKEN": TOKEN,
        "INPUT_VERIFY_APPROVERS": "true",
        "INPUT_TEAMS_TOKEN": "",
        "INPUT_EVIDENCE_ARTIFACT": "nhi-guard-evidence",
        "INPUT_ATTEST": "false",
        "GITHUB_JOB": "nhi-guard",
    }
    for name, value in (inputs or {}).items():
        env["INPUT_" + name.upper().replace("-", "_")] = value
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        Path(env[name]).write_text("", encoding="utf-8")
    return env


@dataclass
class Run:
    exit_code: int
    log: str
    summary: str
    outputs: dict[str, str]

    @property
    def annotations(self) -> list[str]:
        return [line for line in self.log.splitlines() if re.match(r"::(error|warning|notice) ", line)]


def parse_outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name=value`` and ``name<<DELIM`` blocks."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def run_action(env: dict[str, str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(cwd)
    for name in ("NHI_GUARD_REQUESTER", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    buf = io.StringIO()
    code = main(env, buf)
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):  # a new step's files
        Path(env[name]).write_text("", encoding="utf-8")
    return Run(code, buf.getvalue(), summary, outputs)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


def test_parse_outputs_reads_both_forms() -> None:
    text = "a=1\nb<<ghadelimiter_x\nline 1\nline=2\nghadelimiter_x\nc=x=y\n"
    assert parse_outputs(text) == {"a": "1", "b": "line 1\nline=2", "c": "x=y"}


def test_fake_github_paginates_and_checks_the_token(github: FakeGitHub) -> None:
    from scanner.integrations.action.github_api import ApiError, GitHub

    github.page_size = 2
    for i in range(5):
        github.add_comment(7, f"human comment {i}")
    marker = github.add_comment(7, "<!-- nhi-guard -->\nold")
    found = GitHub(github.url, TOKEN, REPOSITORY).marker_comments(7)
    assert [c["id"] for c in found] == [marker["id"]]
    assert [c.query.get("page", ["1"])[0] for c in github.calls] == ["1", "2", "3"]
    with pytest.raises(ApiError) as err:
        GitHub(github.url, "wrong", REPOSITORY).marker_comments(7)
    assert err.value.status == 401 and "Bad credentials" in str(err.value)
