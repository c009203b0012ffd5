"""GitHub-flavoured Markdown, for pull request comments and job summaries.

Built from :mod:`scanner.reporters.markdown_tables`, which makes every value from scanned code
safe to show (no broken tables, no HTML, no links, no @mentions).
"""

from __future__ import annotations

from scanner.model.report import Report
from scanner.reporters.markdown_tables import (
    cell,
    code,
    counts_table,
    error_list,
    findings_tables,
    table,
    waivers_table,
)


def render(report: Report, color: bool = False) -> str:
    s = report.summary
    out = ["## nhi-guard", ""]
    status = f"**incomplete scan: {len(report.errors)} input error(s)**" if s.incomplete else "scan complete"
    out.append(
        f"**{s.total} finding(s)** in {s.resources_scanned} resource(s) from {s.files_scanned} file(s); "
        f"{s.suppressed} waived; "
        + (f"{s.preexisting} pre-existing finding(s) hidden (baseline); " if s.preexisting else "")
        + f"{status}."
    )
    out += ["", "### Findings by category and severity", "", *counts_table(report.findings)]

    out += ["", f"### Non-human identities ({len(report.inventory)})", ""]
    if report.inventory:
        out += table(
            ["Resource", "Kind", "Owner", "Expires", "Approved by", "Change ticket"],
            (
                [
                    code(item.resource, table=True),
                    item.kind,
                    *(cell(v) for v in (item.owner, item.expires, item.approved_by, item.change_ticket)),
                ]
                for item in report.inventory
            ),
        )
    else:
        out.append("No non-human identities found.")

    out += ["", "### Findings", ""]
    if not report.findings:
        out.append("No findings.")
    out += findings_tables(report.findings)

    if report.errors:
        out += ["", "### Input errors", "", *error_list(report.errors)]
    if report.waivers:
        out += ["", "### Waivers applied", "", *waivers_table(report.waivers)]
    return "\n".join(line for line in _squeeze(out)) + "\n"


def _squeeze(lines: list[str]) -> list[str]:
    """No double blank lines, no trailing blank line."""
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out
