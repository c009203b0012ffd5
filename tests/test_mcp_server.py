"""``nhi-guard mcp``, driven by the MCP SDK's own client over stdio, as an assistant would."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from conftest import ROOT, TODAY

pytest.importorskip("mcp.server.mcpserver", reason="install the mcp extra: pip install -e '.[mcp]'")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from scanner.integrations.cli import main

ACCESS_KEY = ROOT / "fixtures" / "hcl" / "aws_access_key" / "main.tf"
ANSWER = ROOT / "tests" / "data" / "chat" / "answer.md"


def with_server(cwd: Path, body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """Start ``nhi-guard mcp`` in ``cwd`` as a client would (a child process on stdio) and run ``body``."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "scanner", "mcp"],
        cwd=str(cwd),
        env={"NHI_GUARD_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT)},
    )

    async def go() -> Any:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)

    return anyio.run(go)


def cli_json(cwd: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", *args, "--format", "json"],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"NHI_GUARD_TODAY": TODAY.isoformat(), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_lists_three_tools_with_model_facing_descriptions(tmp_path: Path) -> None:
    async def body(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools = {t.name: t for t in with_server(tmp_path, body)}
    assert sorted(tools) == ["explain_rule", "list_rules", "scan"]
    scan = tools["scan"]
    assert scan.input_schema["required"] == ["content"]
    assert set(scan.input_schema["properties"]) == {"content", "filename"}
    assert scan.output_schema is not None and "findings" in scan.output_schema["properties"]
    assert scan.description is not None
    for needle in ("before you present it", "remediation", "call `scan` again", "Never add a waiver"):
        assert needle in scan.description
    assert tools["explain_rule"].input_schema["required"] == ["rule_id"]
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True


def test_scan_returns_the_cli_report_for_the_same_text(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACCESS_KEY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "answer.md").write_text(ANSWER.read_text(encoding="utf-8"), encoding="utf-8")

    async def body(session: ClientSession) -> Any:
        texts = {name: (tmp_path / name).read_text(encoding="utf-8") for name in ("main.tf", "answer.md")}
        return [await session.call_tool("scan", {"content": text, "filename": name}) for name, text in texts.items()]

    tf, md = with_server(tmp_path, body)
    for result, name in ((tf, "main.tf"), (md, "answer.md")):
        assert result.is_error is False
        expected = cli_json(tmp_path, name)
        assert result.structured_content == expected
        assert json.loads(result.content[0].text) == expected  # the same report as text, for older clients
    assert [f["rule_id"] for f in tf.structured_content["findings"]] == [
        "NHI_AWS_001", "NHI_APR_001", "NHI_OWN_001", "NHI_APR_002", "NHI_AWS_001"
    ]  # fmt: skip
    assert tf.content[1].text == (
        "nhi-guard: 5 finding(s) (2 high, 2 medium, 1 low) in 5 resource(s) from 1 file(s); 0 waived; scan complete; "
        "findings at or above 'low' (the config's fail_on): fix them before you present the code."
    )


def test_scan_uses_the_config_and_waivers_of_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".nhi-guard.toml").write_text(
        'fail_on = "critical"\n[[waivers]]\nrule = "NHI_AWS_001"\nresource = "aws_iam_access_key.ci"\n'
        'reason = "vendor"\nowner = "team-platform"\nexpires = 2027-03-31\n',
        encoding="utf-8",
    )

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("scan", {"content": ACCESS_KEY.read_text(encoding="utf-8")})

    result = with_server(tmp_path, body)
    report = result.structured_content
    assert [w["resource"] for w in report["waivers"]] == ["aws_iam_access_key.ci"]
    assert "aws_iam_access_key.ci" not in {f["resource"] for f in report["findings"]}
    assert result.content[1].text.endswith("nothing at or above the config's fail_on.")


def test_scan_of_a_cut_off_answer_and_a_secret(tmp_path: Path) -> None:
    answer = (
        "Here you go:\n\n```hcl\nresource \"aws_secretsmanager_secret_version\" \"db\" {\n  secret_id = \"db\"\n"
        "  secret_string = \"hunter2-correct-horse-battery\"\n}\n```\n\n```hcl\nresource \"aws_iam_user\" \"x\" {\n"
    )

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("scan", {"content": answer, "filename": "answer.md"})

    result = with_server(tmp_path, body)
    assert "hunter2" not in json.dumps(result.structured_content) and "hunter2" not in result.content[1].text
    assert result.structured_content["summary"]["incomplete"] is True
    assert [f["rule_id"] for f in result.structured_content["findings"]] == ["NHI_SEC_001"]
    assert "could not be parsed" in result.content[1].text


def test_scan_of_a_filename_with_a_nul_is_a_report_not_a_tool_error(tmp_path: Path) -> None:
    """A model can send any filename; one with a NUL made the config lookup raise ValueError."""

    async def body(session: ClientSession) -> Any:
        content = ACCESS_KEY.read_text(encoding="utf-8")
        names = ("a\x00.tf", "a.tf")
        return [await session.call_tool("scan", {"content": content, "filename": name}) for name in names]

    result, plain = with_server(tmp_path, body)
    assert result.is_error is False
    found = [(f["rule_id"], f["resource"]) for f in result.structured_content["findings"]]
    assert "NHI_AWS_001" in {rule for rule, _ in found}
    assert found == [(f["rule_id"], f["resource"]) for f in plain.structured_content["findings"]]


def test_explain_rule_and_list_rules(tmp_path: Path) -> None:
    async def body(session: ClientSession) -> Any:
        return (
            await session.call_tool("explain_rule", {"rule_id": "nhi_aws_001"}),
            await session.call_tool("explain_rule", {"rule_id": "NHI_NOPE_999"}),
            await session.call_tool("list_rules", {}),
        )

    explained, unknown, listed = with_server(tmp_path, body)
    assert explained.is_error is False
    assert explained.content[0].text == CliRunner().invoke(main, ["explain", "NHI_AWS_001"]).stdout.rstrip("\n")
    info = explained.structured_content
    assert (info["id"], info["severity"], info["category"]) == ("NHI_AWS_001", "high", "expiry")
    assert "## Use instead" in info["documentation"]
    assert unknown.is_error is True
    assert "unknown rule 'NHI_NOPE_999'; call list_rules for the IDs" in unknown.content[0].text
    cli_rules = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)
    assert listed.structured_content == {"rules": cli_rules}


def test_without_the_extra_it_says_what_to_install() -> None:
    code = "import sys; sys.modules['mcp'] = None; from scanner.integrations.cli import main; main(['mcp'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "nhi-guard: error: nhi-guard mcp needs the MCP Python SDK 2.x: pip install 'nhi-guard[mcp]'\n"


def test_version_does_not_load_the_sdk() -> None:
    code = (
        "import sys; from scanner.integrations.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'pydantic', 'lark'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.splitlines()[-1] == "[]"
