"""The README's integration snippets are what users paste: each one parses and says what it should."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from conftest import ROOT
from ruamel.yaml import YAML
from test_action_yml import vendored_schema

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)


def blocks(lang: str, needle: str) -> list[str]:
    found = [text for kind, text in BLOCKS if kind == lang and needle in text]
    assert found, f"no ```{lang} block with {needle!r} in the README"
    return found


def test_workflow_validates_guards_fork_uploads_and_grants_actions_read() -> None:
    (text,) = blocks("yaml", "name: nhi-guard\non:")
    workflow: Any = YAML(typ="safe").load(text)
    schema = vendored_schema("github-workflows")
    jsonschema.validators.validator_for(schema)(schema).validate(workflow)
    assert workflow["permissions"]["actions"] == "read"
    upload = next(s for s in workflow["jobs"]["nhi-guard"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert "github.event.pull_request.head.repo.full_name == github.repository" in upload["if"]
    action = next(s for s in workflow["jobs"]["nhi-guard"]["steps"] if s.get("id") == "nhi-guard")
    assert action["uses"].startswith("nhi-guard/nhi-guard@")


def test_claude_code_hook_settings() -> None:
    (text,) = blocks("json", '"PreToolUse"')
    settings = json.loads(text)
    (entry,) = settings["hooks"]["PreToolUse"]
    assert entry["matcher"] == "Write|Edit|MultiEdit"
    assert entry["hooks"] == [{"type": "command", "command": "nhi-guard hook claude-code"}]


def test_mcp_registrations() -> None:
    (text,) = blocks("json", '"mcpServers"')
    assert json.loads(text) == {"mcpServers": {"nhi-guard": {"command": "nhi-guard", "args": ["mcp"]}}}
    assert "claude mcp add nhi-guard -- nhi-guard mcp" in README
    vscode = re.search(r"`(\{\"servers\".*?)`\.", README)
    assert vscode is not None
    server = json.loads(vscode.group(1))["servers"]["nhi-guard"]
    assert server == {"type": "stdio", "command": "nhi-guard", "args": ["mcp"]}


@pytest.mark.parametrize("needle", ["rev: v1.2.3\n    hooks:", "templates/gitlab/nhi-guard.gitlab-ci.yml"])
def test_pre_commit_and_gitlab_snippets_parse(needle: str) -> None:
    (text,) = blocks("yaml", needle)
    doc: Any = YAML(typ="safe").load(text)
    if needle.startswith("rev:"):
        hooks = {h["id"] for h in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
        assert doc["repos"][0]["hooks"][0]["id"] in hooks
    else:
        assert (ROOT / doc["include"][0]["remote"].split("/v1.2.3/", 1)[1]).is_file()
