"""``nhi-guard mcp``: a Model Context Protocol server over stdio (the official ``mcp`` SDK, 2.x).

Tools:

* ``scan(content, filename?)``: the text (HCL, Terraform JSON, plan JSON or a Markdown chat answer)
  scanned by :func:`scanner.api.scan` as a :class:`~scanner.api.Source`, so config and waivers come
  from the server's working directory (or, for a ``filename`` with directories, from the nearest
  config above it there). The structured result is the ``--format json`` report, the same object
  as the CLI's for the same text; the text result is that JSON, then one line with the verdict;
* ``explain_rule(rule_id)``: a rule's rationale, example and fix (``nhi-guard explain``);
* ``list_rules()``: the catalogue (``nhi-guard rules --format json``).

The descriptions are written for the model that calls the tools: when to call ``scan`` and what
to do with a finding. The SDK is imported only by this module, which only ``nhi-guard mcp`` loads;
it comes with the ``nhi-guard[mcp]`` extra. (No ``from __future__ import annotations``: the SDK
reads the tools' annotations at run time.)
"""

import json
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from scanner import __version__
from scanner.model.report import Report

INSTRUCTIONS = """\
nhi-guard finds risky non-human identities in Terraform: IAM users and roles, service accounts,
access keys, app secrets and role bindings that never expire, have no owner, grant too much, or
lack an approver and change ticket, and secrets written in clear text. Call `scan` on every piece
of Terraform you write or change, before you show it or save it, and fix what it reports."""

SCAN_DESCRIPTION = """\
Scan Terraform for risky non-human identities before you present it or write it to a file.

Call this on every Terraform you draft or change: HCL (.tf), Terraform JSON (.tf.json), plan
JSON from `terraform show -json`, or a whole Markdown answer with ```hcl blocks (all blocks of an
answer are scanned as one module). Pass the text as `content`, and the file name as `filename`
when you know it (`main.tf`, `plan.json`, `answer.md`) so the format is not guessed.

Returns nhi-guard's JSON report: `findings` (rule_id, severity, resource, file, line, message,
remediation), `errors` (text that could not be parsed), `inventory` (every identity, credential,
secret and grant with its owner, expiry, approver and change ticket), `summary` (counts;
`incomplete` is true when some text could not be parsed). The report never contains a secret.

What to do with the result:
- For each finding, change your draft as its `remediation` says (for example: a role assumed
  through OIDC instead of a static access key, an `expires` tag, an `owner` tag, a narrower action
  list instead of "*"), then call `scan` again until nothing is left.
- Never invent an owner, approver or change ticket: ask the user for the real values.
- Never add a waiver (`# nhi-guard:ignore`) yourself; a waiver is the user's decision, with a
  reason, an owner and an expiry date. If a finding must stay, tell the user which and why.
- If `errors` is not empty, the text did not parse (often a cut-off block): fix it and scan again.
- Call `explain_rule` when you need a rule's rationale and an example fix."""

EXPLAIN_DESCRIPTION = """\
Explain one nhi-guard rule: what it checks, why it matters, an example that triggers it and the
fixed version. Use it when a finding from `scan` is unclear or you need an example fix. `rule_id`
is a finding's `rule_id`, e.g. NHI_AWS_001."""

LIST_DESCRIPTION = """\
List every nhi-guard rule: ID, category (expiry, ownership, least-privilege, approval,
secret-exposure), severity, title and fix. Use it to know what `scan` checks or to find a rule ID."""


class RuleSummary(BaseModel):
    id: str
    category: str
    severity: str
    title: str
    remediation: str
    resource_types: list[str]
    help_uri: str


class RuleCatalogue(BaseModel):
    rules: list[RuleSummary]


class RuleExplanation(RuleSummary):
    #: the rule's documentation (## What it does / ## Why is this bad? / ## Example / ## Use instead)
    documentation: str


def _summary(rule: Any) -> dict[str, Any]:
    from scanner.rules.catalogue_docs import rule_summary

    return dict(rule_summary(rule))


def scan_text(content: str, filename: str | None) -> tuple[Report, str]:
    """The report of ``content``, and a one-line verdict against the config's ``fail_on``."""
    from scanner.api import ScanError, ScanOptions, Source, resolve_fail_on, scan
    from scanner.reporters.text import summary_line

    name = (filename or "").strip() or "<input>"
    try:
        result = scan([Source(name, content)], ScanOptions())
        fail_on = resolve_fail_on(None, result.config)
    except ScanError as exc:
        raise ToolError(f"nhi-guard could not scan: {exc}") from None
    if result.exit_code == 2:
        verdict = "some of the text could not be parsed; fix the errors and scan again"
    elif result.exit_code == 1 and fail_on is not None:
        verdict = f"findings at or above '{fail_on.value}' (the config's fail_on): fix them before you present the code"
    else:
        verdict = "nothing at or above the config's fail_on"
    return result.report, f"nhi-guard: {summary_line(result.report)}; {verdict}."


def build() -> MCPServer:
    """The server with its three tools."""
    # WARNING: stderr is the client's log; a refused rule ID is not worth a line there
    app: MCPServer = MCPServer(name="nhi-guard", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )

    def scan(
        content: Annotated[str, Field(description="the Terraform, plan JSON or Markdown answer to check")],
        filename: Annotated[
            str | None, Field(description="its file name, a format hint: main.tf, main.tf.json, plan.json, answer.md")
        ] = None,
    ) -> Annotated[CallToolResult, Report]:
        from scanner.reporters import get_reporter

        report, verdict = scan_text(content, filename)
        text = get_reporter("json")(report, False)
        return CallToolResult(
            content=[TextContent(type="text", text=text), TextContent(type="text", text=verdict)],
            structured_content=json.loads(text),
        )

    def explain_rule(
        rule_id: Annotated[str, Field(description="a rule ID from a finding or list_rules, e.g. NHI_AWS_001")],
    ) -> Annotated[CallToolResult, RuleExplanation]:
        from scanner.rules import get_rule

        rule = get_rule(rule_id)
        if rule is None:
            raise ToolError(f"unknown rule '{rule_id.strip()}'; call list_rules for the IDs")
        explanation = RuleExplanation(**_summary(rule), documentation=rule.doc())
        text = (
            f"{rule.id}: {rule.title}\ncategory: {rule.category}  severity: {rule.severity}\n\n"
            f"{rule.doc()}\n\nFix: {rule.fix}\nDocs: {rule.help_uri()}"
        )
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=explanation.model_dump(mode="json")
        )

    def list_rules() -> RuleCatalogue:
        from scanner.rules import all_rules

        return RuleCatalogue(rules=[RuleSummary(**_summary(r)) for r in all_rules()])

    app.add_tool(scan, name="scan", title="Scan Terraform for risky identities", description=SCAN_DESCRIPTION,
                 annotations=read_only)
    app.add_tool(explain_rule, name="explain_rule", title="Explain an nhi-guard rule",
                 description=EXPLAIN_DESCRIPTION, annotations=read_only)
    app.add_tool(list_rules, name="list_rules", title="List nhi-guard rules", description=LIST_DESCRIPTION,
                 annotations=read_only)
    return app


def run() -> None:
    build().run("stdio")
