"""What the action knows about its run: inputs (``INPUT_*``) and the ``GITHUB_*`` environment.

``action.yml`` passes each input as ``INPUT_<NAME>`` (upper case, ``-`` as ``_``), as GitHub
does for JavaScript actions; a composite action has to spell them out in ``env:``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: events whose payload has the pull request; ``pull_request_review`` re-runs the check when a review
#: is submitted or dismissed, so an approval turns it green
PR_EVENTS = ("pull_request", "pull_request_target", "pull_request_review")
TRUE = ("true", "yes", "1", "on")
FALSE = ("false", "no", "0", "off")


class InputError(Exception):
    """An input the action cannot use; the message names it."""


def flag(name: str, value: str, default: bool) -> bool:
    text = value.strip().lower()
    if not text:
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InputError(f"input '{name}' must be true or false, not '{value.strip()}'")


def split_paths(value: str) -> list[str]:
    """One path per line; a line that is not an existing path is split at whitespace."""
    out: list[str] = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        out.extend([line] if os.path.exists(line) else line.split())
    return out


@dataclass
class PullRequest:
    number: int
    author: str | None
    base_sha: str | None
    head_sha: str | None


@dataclass
class ActionContext:
    # inputs
    paths: list[str]
    plan: list[str]
    config: str | None
    fail_on: str | None
    sarif_file: str | None
    comment: bool
    new_only: bool
    baseline: str | None
    token: str
    #: check named approvers against the pull request's reviews (fetched with ``token``)
    verify_approvers: bool
    #: reads the members of teams the config allows to approve ("" : ``token``)
    teams_token: str
    #: name prefix of the evidence record's artifact ("" : not uploaded)
    evidence_artifact: str
    #: attest the evidence record with actions/attest
    attest: bool
    # the run
    event_name: str
    pull_request: PullRequest | None
    repository: str
    api_url: str
    server_url: str
    run_id: str
    sha: str
    workspace: str
    step_summary: str | None
    output: str | None
    temp_dir: str
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionContext:
        def get(name: str, default: str = "") -> str:
            return env.get(name, default) or default

        event_name = get("GITHUB_EVENT_NAME")
        event = _event(get("GITHUB_EVENT_PATH"))
        pr = _pull_request(event) if event_name in PR_EVENTS else None
        # empty: the config's fail_on, as the CLI does
        fail_on = get("INPUT_FAIL_ON", "").strip().lower() or None
        if fail_on not in (None, "none", "critical", "high", "medium", "low"):
            raise InputError(f"input 'fail-on' must be critical, high, medium, low or none, not '{fail_on}'")
        temp = get("RUNNER_TEMP") or tempfile.gettempdir()
        return cls(
            paths=split_paths(get("INPUT_PATH", ".")) or ["."],
            plan=split_paths(get("INPUT_PLAN")),
            config=get("INPUT_CONFIG").strip() or None,
            fail_on=fail_on,
            sarif_file=get("INPUT_SARIF_FILE").strip() or None,
            comment=flag("comment", get("INPUT_COMMENT"), default=pr is not None),
            new_only=flag("new-only", get("INPUT_NEW_ONLY"), default=False),
            baseline=get("INPUT_BASELINE").strip() or None,
            token=get("INPUT_GITHUB_TOKEN").strip(),
            verify_approvers=flag("verify-approvers", get("INPUT_VERIFY_APPROVERS"), default=True),
            teams_token=get("INPUT_TEAMS_TOKEN").strip(),
            evidence_artifact=get("INPUT_EVIDENCE_ARTIFACT").strip(),
            attest=flag("attest", get("INPUT_ATTEST"), default=False),
            event_name=event_name,
            pull_request=pr,
            repository=get("GITHUB_REPOSITORY"),
            api_url=get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            server_url=get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=get("GITHUB_RUN_ID"),
            sha=get("GITHUB_SHA"),
            workspace=get("GITHUB_WORKSPACE") or os.getcwd(),
            step_summary=get("GITHUB_STEP_SUMMARY") or None,
            output=get("GITHUB_OUTPUT") or None,
            temp_dir=str(Path(temp) / "nhi-guard"),
            env=env,
        )


def _event(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pull_request(event: Mapping[str, Any]) -> PullRequest | None:
    pr = event.get("pull_request")
    if not isinstance(pr, dict):
        return None
    number = pr.get("number", event.get("number"))
    if not isinstance(number, int):
        return None

    def text(*path: str) -> str | None:
        value: Any = pr
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) and value else None

    return PullRequest(
        number=number,
        author=text("user", "login"),
        base_sha=text("base", "sha"),
        head_sha=text("head", "sha"),
    )
