"""The job summary and the sticky pull request comment, in GitHub-flavoured Markdown.

Sections: counts by category and severity; the NHI inventory of this change, with requester,
approver and pull request author side by side; the findings with their fixes; input errors;
waivers; notes (baseline, comment status). The comment is the same text behind a hidden
marker, cut at a line to GitHub's 65,536-character limit with a pointer to the job summary.
Tables, lists and the escaping of every value from scanned code come from
:mod:`scanner.reporters.markdown_tables`, shared with the ``markdown`` report format.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from scanner.model.report import UNKNOWN_VALUE, Finding, InventoryItem, Report
from scanner.model.severity import Severity
from scanner.policy.people import same_person
from scanner.reporters import markdown_tables as md

MARKER = "<!-- nhi-guard -->"
#: GitHub rejects an issue comment body longer than this (characters)
COMMENT_LIMIT = 65_536
#: GitHub drops a step summary larger than 1 MiB; leave room for other writers
SUMMARY_LIMIT = 1_000_000


@dataclass
class SummaryInput:
    report: Report
    fail_on: Severity | None
    pr_author: str | None = None
    aliases: dict[str, list[str]] = field(default_factory=dict)
    #: the baseline's inventory: the change is what differs from it; None: everything scanned
    base_inventory: list[InventoryItem] | None = None
    #: where hidden pre-existing findings came from ("the base commit abc1234", "baseline.json")
    baseline_source: str | None = None
    #: lines for the Notes section (Markdown, already escaped)
    notes: list[str] = field(default_factory=list)
    #: https://github.com/owner/repo/blob/<sha>: findings link to their lines
    blob_url: str | None = None
    #: (module directory, resource) of each finding reported: with a baseline these are new, so an
    #: NHI that has one was changed by this change even when its owner, expiry and approvals were not
    flagged: set[tuple[str, str]] = field(default_factory=set)


def _key(item: InventoryItem) -> tuple[str, str]:
    # the module directory, not the file: moving a block to another file is no change
    return posixpath.dirname(item.file), item.resource


def _meta(item: InventoryItem) -> tuple[str | None, ...]:
    return (item.kind, item.owner, item.expires, item.approved_by, item.requested_by, item.change_ticket)


def _changed(old: InventoryItem, new: InventoryItem) -> bool:
    """Metadata differs, or the configuration does (a baseline from before digests has none)."""
    if _meta(old) != _meta(new):
        return True
    return old.digest is not None and new.digest is not None and old.digest != new.digest


def changed_inventory(
    items: list[InventoryItem], base: list[InventoryItem] | None, flagged: set[tuple[str, str]] | None = None
) -> tuple[list[tuple[InventoryItem, str]], int]:
    """(item, action) for each NHI this change creates or changes; and how many are unchanged.

    An item is changed when its metadata differs from the base's, or when it has a new finding
    (``flagged``): a grant widened to ``AdministratorAccess`` keeps its owner and approver."""
    if base is None:
        return [(i, i.action) for i in items], 0
    before = {_key(i): i for i in base}
    out: list[tuple[InventoryItem, str]] = []
    for item in items:
        old = before.get(_key(item))
        if old is None:
            out.append((item, "create"))
        elif _changed(old, item) or _key(item) in (flagged or ()):
            out.append((item, "update"))
    return out, len(items) - len(out)


def _status(inp: SummaryInput) -> str:
    s = inp.report.summary
    if s.incomplete:
        return f"⚠️ **incomplete scan**: {len(inp.report.errors)} input error(s), see below"
    if inp.fail_on is None:
        return "findings do not fail this check (`fail-on: none`)"
    failing = sum(1 for f in inp.report.findings if Severity(f.severity).rank >= inp.fail_on.rank)
    if failing:
        return f"❌ **{failing} finding(s) at or above `{inp.fail_on.value}`** fail this check"
    return f"✅ no finding at or above `{inp.fail_on.value}`"


def _headline(inp: SummaryInput) -> str:
    s = inp.report.summary
    new = "new " if inp.baseline_source else ""
    counts = ", ".join(f"{n} {sev}" for sev, n in s.by_severity.items() if n)
    text = f"**{s.total} {new}finding(s)**" + (f" ({counts})" if counts else "")
    text += f" in {s.resources_scanned} resource(s) from {s.files_scanned} file(s)"
    if inp.baseline_source:
        text += f"; {s.preexisting} pre-existing finding(s) hidden (already in {inp.baseline_source})"
    text += f"; {s.suppressed} waived."
    return text


def _inventory(inp: SummaryInput) -> list[str]:
    changed, unchanged = changed_inventory(inp.report.inventory, inp.base_inventory, inp.flagged)
    out = [f"### NHI inventory of this change ({len(changed)})", ""]
    if inp.base_inventory is None:
        out.append("Every identity, credential, secret and grant in the scanned inputs.")
    else:
        out.append(
            f"Identities, credentials, secrets and grants this change creates or changes; "
            f"{unchanged} unchanged one(s) not shown."
        )
    out.append("")
    if not changed:
        out.append("None.")
        return out
    header = ["Resource", "Kind", "Action", "Owner", "Expires", "Requested by", "Approved by", "Change ticket"]
    if inp.pr_author:
        header.append("PR author")
    rows = []
    for item, action in changed:
        approved = md.cell(item.approved_by)
        if (
            inp.pr_author
            and item.approved_by
            and item.approved_by != UNKNOWN_VALUE
            and same_person(inp.pr_author, item.approved_by, inp.aliases)
        ):
            approved += " ⚠️ self-approval"
        cells = [
            md.code(item.resource, table=True),
            item.kind,
            action,
            md.cell(item.owner),
            md.cell(item.expires),
            md.cell(item.requested_by),
            approved,
            md.cell(item.change_ticket),
        ]
        if inp.pr_author:
            cells.append(md.code(inp.pr_author, table=True))
        rows.append(cells)
    return out + md.table(header, rows)


def _line_link(finding: Finding, blob_url: str | None) -> str:
    file, line = finding.file, finding.line
    if not blob_url or file.startswith(("<", "/")) or ":" in file or file.startswith(".."):
        return str(line)
    return f"[{line}]({blob_url}/{quote(file)}#L{line})"


def _findings(inp: SummaryInput) -> list[str]:
    report = inp.report
    out = ["### Findings", ""]
    if not report.findings:
        out.append("No new findings." if inp.baseline_source else "No findings.")
    return out + md.findings_tables(report.findings, lambda f: _line_link(f, inp.blob_url))


def _errors_and_waivers(report: Report) -> list[str]:
    out: list[str] = []
    if report.errors:
        out += ["### Input errors", "", *md.error_list(report.errors), ""]
    if report.waivers:
        out += ["### Waivers applied", "", *md.waivers_table(report.waivers), ""]
    return out


def lines(inp: SummaryInput) -> list[str]:
    out = ["## nhi-guard", "", _headline(inp), "", _status(inp), ""]
    out += ["### Findings by category and severity", "", *md.counts_table(inp.report.findings), ""]
    out += [*_inventory(inp), ""]
    out += _findings(inp)
    out += _errors_and_waivers(inp.report)
    if inp.notes:
        out += ["### Notes", "", *(f"- {n}" for n in inp.notes), ""]
    return out


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(body: list[str], limit: int, footer: Callable[[int], str], size: Callable[[str], int] = _utf16) -> str:
    """``body`` joined, or as many whole lines as fit with ``footer(lines_cut)`` after them."""
    text = "\n".join(body).rstrip() + "\n"
    if size(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for i, line in enumerate(body):
        tail = footer(len(body) - i)
        need = size(line) + 1
        if used + need + size(tail) + 2 > limit:
            break
        kept.append(line)
        used += need
    cut = len(body) - len(kept)
    return "\n".join(kept).rstrip() + "\n\n" + footer(cut) + "\n"


def job_summary(inp: SummaryInput) -> str:
    def footer(cut: int) -> str:
        return (
            f"> **Cut short**: {cut} line(s) did not fit GitHub's 1 MiB summary limit. "
            "The full report is the action's `report-file` output."
        )

    return fit(lines(inp), SUMMARY_LIMIT, footer, lambda t: len(t.encode("utf-8")))


def comment_body(inp: SummaryInput, run_url: str | None) -> str:
    def footer(cut: int) -> str:
        where = f"the [job summary]({run_url})" if run_url else "the job summary"
        return f"> **Cut short**: {cut} line(s) did not fit in a comment. The full summary is in {where}."

    body = lines(inp)
    if run_url:
        body += [f"<sub>[Job summary and logs]({run_url})</sub>"]
    return fit([MARKER, *body], COMMENT_LIMIT, footer)
