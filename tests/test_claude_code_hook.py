"""``nhi-guard hook claude-code``: the Claude Code PreToolUse hook, fed real hook events."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TODAY

from scanner.integrations.claude_code import main

USER = """\
resource "aws_iam_user" "ci" {
  name = "ci-deployer"
  tags = {
    owner         = "team-platform"
    approved_by   = "bob"
    change_ticket = "CHG-1234"
  }
}
"""

POLICY = """\
resource "aws_iam_user_policy" "ci" {
  name = "deploy"
  user = aws_iam_user.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "arn:aws:s3:::artifacts/*"
    }]
  })
}
"""

KEY = 'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'
OLD_KEY = 'resource "aws_iam_access_key" "old" {\n  user = aws_iam_user.ci.name\n}\n'


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean one-file-per-resource module; the hook runs from the project directory."""
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    monkeypatch.chdir(tmp_path)
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "user.tf").write_text(USER, encoding="utf-8")
    (infra / "policy.tf").write_text(POLICY, encoding="utf-8")
    return infra


def event(tool: str, tool_input: dict[str, Any], cwd: Path) -> dict[str, Any]:
    return {
        "session_id": "abc",
        "transcript_path": str(cwd / "t.jsonl"),
        "cwd": str(cwd),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01",
    }


def hook(payload: dict[str, Any] | str) -> tuple[int, str, str]:
    stdin = io.StringIO(payload if isinstance(payload, str) else json.dumps(payload))
    out, err = io.StringIO(), io.StringIO()
    code = main(stdin, out, err)
    return code, out.getvalue(), err.getvalue()


def denial(stdout: str) -> str:
    decision = json.loads(stdout)["hookSpecificOutput"]
    assert decision["hookEventName"] == "PreToolUse" and decision["permissionDecision"] == "deny"
    assert set(decision) == {"hookEventName", "permissionDecision", "permissionDecisionReason"}
    reason: str = decision["permissionDecisionReason"]
    return reason


def test_write_that_adds_an_access_key_is_denied(module: Path) -> None:
    code, out, err = hook(event("Write", {"file_path": str(module / "key.tf"), "content": KEY}, module.parent))
    assert (code, err) == (0, "")
    assert denial(out).splitlines() == [
        "nhi-guard blocked this change to infra/key.tf: it adds 1 finding(s) at or above 'low'.",
        "Rewrite the change so that each one is fixed:",
        "- NHI_AWS_001 (high) on aws_iam_access_key.ci at infra/key.tf:2: aws_iam_access_key.ci creates a "
        "long-lived AWS access key that never expires. Fix: Replace the access key with a role assumed via OIDC "
        "(GitHub Actions, EKS IRSA) or IAM Roles Anywhere.",
        "`nhi-guard explain RULE_ID` shows a rule's rationale and an example fix. If the risk is accepted, the user "
        "adds a waiver with a reason, an owner and an expiry date; do not add one yourself.",
    ]
    assert not (module / "key.tf").exists()  # the hook only reads


def test_edit_that_widens_a_policy_to_star_is_denied(module: Path) -> None:
    edit = {"file_path": str(module / "policy.tf"), "old_string": '["s3:PutObject"]', "new_string": '"*"'}
    code, out, _ = hook(event("Edit", edit, module.parent))
    reason = denial(out)
    assert code == 0
    assert (
        "- NHI_AWS_011 (high) on aws_iam_user_policy.ci at infra/policy.tf:4: inline policy aws_iam_user_policy.ci "
        "of user aws_iam_user.ci allows wildcard action"
    ) in reason
    assert reason.startswith("nhi-guard blocked this change to infra/policy.tf: it adds ")


def test_harmless_edit_is_let_through_silently(module: Path) -> None:
    edit = {"file_path": str(module / "user.tf"), "old_string": "CHG-1234", "new_string": "CHG-1235"}
    assert hook(event("Edit", edit, module.parent)) == (0, "", "")


def test_readme_and_other_tools_are_ignored(module: Path) -> None:
    readme = {"file_path": str(module / "README.md"), "content": KEY}
    assert hook(event("Write", readme, module.parent)) == (0, "", "")
    assert hook(event("Bash", {"command": "terraform apply"}, module.parent)) == (0, "", "")
    assert hook({"hook_event_name": "PreToolUse"}) == (0, "", "")


def test_findings_already_in_the_module_do_not_block(module: Path) -> None:
    (module / "old.tf").write_text(OLD_KEY, encoding="utf-8")
    edit = {"file_path": str(module / "old.tf"), "old_string": '"old"', "new_string": '"old" # legacy'}
    assert hook(event("Edit", edit, module.parent)) == (0, "", "")
    # ... but a second key in the same file is new
    write = {"file_path": str(module / "old.tf"), "content": OLD_KEY + "\n" + KEY}
    reason = denial(hook(event("Write", write, module.parent))[1])
    assert "aws_iam_access_key.ci" in reason and "aws_iam_access_key.old" not in reason


def test_the_modules_in_subdirectories_are_not_scanned(module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the hook once scanned the whole tree below the edited file, twice: a root module's edit in a
    # monorepo read every module of the repository (the latency target is 0.3 s for one module)
    import scanner.api

    (module / "legacy").mkdir()
    (module / "legacy" / "old.tf").write_text(OLD_KEY.replace("aws_iam_user.ci.name", '"ci"'), encoding="utf-8")
    scanned: list[int] = []
    real_scan = scanner.api.scan

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real_scan(*args, **kwargs)
        scanned.append(result.report.summary.files_scanned)
        return result

    monkeypatch.setattr(scanner.api, "scan", spy)
    write = {"file_path": str(module / "key.tf"), "content": KEY}
    reason = denial(hook(event("Write", write, module.parent))[1])
    assert "aws_iam_access_key.ci" in reason and "aws_iam_access_key.old" not in reason
    assert scanned == [3, 2]  # user.tf, policy.tf and key.tf after the change; the first two before


def test_a_change_that_breaks_another_file_is_denied(module: Path) -> None:
    """Removing the owner from the user makes a finding on it: the module is scanned as it will be."""
    owner = '    owner         = "team-platform"\n'
    edit = {"file_path": str(module / "user.tf"), "old_string": owner, "new_string": ""}
    reason = denial(hook(event("Edit", edit, module.parent))[1])
    assert "- NHI_OWN_001 (medium) on aws_iam_user.ci at infra/user.tf:1:" in reason


def test_multiedit_applies_every_edit_in_order(module: Path) -> None:
    edits = [
        {"old_string": '["s3:PutObject"]', "new_string": '["s3:GetObject"]'},
        {"old_string": '["s3:GetObject"]', "new_string": '"*"'},
    ]
    multi = {"file_path": str(module / "policy.tf"), "edits": edits}
    reason = denial(hook(event("MultiEdit", multi, module.parent))[1])
    assert "NHI_AWS_011" in reason
    harmless = [{"old_string": "deploy", "new_string": "deploy-artifacts", "replace_all": True}]
    assert hook(event("MultiEdit", {"file_path": str(module / "policy.tf"), "edits": harmless}, module.parent)) == (
        0, "", ""
    )  # fmt: skip


def test_edit_that_would_fail_is_left_to_claude_code(module: Path) -> None:
    edit = {"file_path": str(module / "policy.tf"), "old_string": "not in the file", "new_string": '"*"'}
    assert hook(event("Edit", edit, module.parent)) == (0, "", "")


def test_fail_on_from_the_config_and_waivers_count(module: Path) -> None:
    (module.parent / ".nhi-guard.toml").write_text('fail_on = "critical"\n', encoding="utf-8")
    write = {"file_path": str(module / "key.tf"), "content": KEY}
    assert hook(event("Write", write, module.parent)) == (0, "", "")  # high < critical
    (module.parent / ".nhi-guard.toml").write_text('fail_on = "high"\n', encoding="utf-8")
    assert "(fail_on in .nhi-guard.toml)" in denial(hook(event("Write", write, module.parent))[1])
    waived = KEY.replace(
        "{\n", '{\n  # nhi-guard:ignore NHI_AWS_001 reason="vendor" owner=team-platform expires=2027-03-31\n', 1
    )
    assert hook(event("Write", {**write, "content": waived}, module.parent)) == (0, "", "")


def test_terraform_json_and_relative_paths(module: Path) -> None:
    key_json = json.dumps({"resource": {"aws_iam_access_key": {"ci": {"user": "${aws_iam_user.ci.name}"}}}})
    reason = denial(hook(event("Write", {"file_path": "infra/key.tf.json", "content": key_json}, module.parent))[1])
    assert "NHI_AWS_001 (high) on aws_iam_access_key.ci at infra/key.tf.json:" in reason


def test_new_directory_and_broken_hcl(module: Path) -> None:
    reason = denial(hook(event("Write", {"file_path": str(module / "new" / "k.tf"), "content": KEY}, module.parent))[1])
    assert "NHI_AWS_001 (high) on aws_iam_access_key.ci at infra/new/k.tf:2" in reason
    broken = {"file_path": str(module / "broken.tf"), "content": 'resource "aws_iam_user" "x" {\n  name = \n'}
    assert hook(event("Write", broken, module.parent)) == (0, "", "")


def test_broken_config_lets_the_call_through_with_a_message(module: Path) -> None:
    (module.parent / ".nhi-guard.toml").write_text("fail_on = [\n", encoding="utf-8")
    code, out, err = hook(event("Write", {"file_path": str(module / "key.tf"), "content": KEY}, module.parent))
    assert (code, out) == (0, "")
    assert err.startswith("nhi-guard hook claude-code: ") and ".nhi-guard.toml" in err


def test_internal_error_never_blocks(module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("hunter2 in the message")

    monkeypatch.setattr(scanner.api, "scan", broken)
    monkeypatch.delenv("NHI_GUARD_DEBUG", raising=False)
    code, out, err = hook(event("Write", {"file_path": str(module / "key.tf"), "content": KEY}, module.parent))
    assert (code, out) == (0, "")
    assert err == "nhi-guard hook claude-code: internal error: RuntimeError; the call goes on\n"


def test_a_file_path_with_a_nul_is_no_internal_error(module: Path) -> None:
    """No file can have that name (Claude Code's write fails): nothing to scan, nothing on stderr."""
    write = {"file_path": str(module / "k\x00.tf"), "content": KEY}
    assert hook(event("Write", write, module.parent)) == (0, "", "")


@pytest.mark.parametrize("payload", ["", "not json", "[1, 2]", '{"tool_name": "Write"'])
def test_malformed_event_is_the_only_error(payload: str) -> None:
    code, out, err = hook(payload)
    assert (code, out) == (1, "")
    assert err.startswith("nhi-guard hook claude-code: the hook event on stdin is not")


def test_the_installed_command(module: Path) -> None:
    """What Claude Code runs: the console script, the event on stdin, the decision on stdout."""
    payload = json.dumps(event("Write", {"file_path": str(module / "key.tf"), "content": KEY}, module.parent))
    cmd = [sys.executable, "-m", "scanner", "hook", "claude-code"]
    env = {"PATH": "/usr/bin:/bin", "NHI_GUARD_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, input=payload, capture_output=True, text=True, cwd=module.parent, env=env, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert "NHI_AWS_001" in denial(done.stdout)
    readme = json.dumps(event("Write", {"file_path": str(module / "README.md"), "content": "x"}, module.parent))
    done = subprocess.run(cmd, input=readme, capture_output=True, text=True, cwd=module.parent, env=env, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = subprocess.run(cmd, input="{", capture_output=True, text=True, cwd=module.parent, env=env, timeout=120)
    assert done.returncode == 1 and "not valid JSON" in done.stderr and "Traceback" not in done.stderr
