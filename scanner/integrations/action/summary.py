"""The job summary and the sticky pull request comment, in GitHub-flavoured Markdown.

Sections: counts by category and severity; the NHI inventory of this change, with requester,
approver and pull request author side by side; the findings with their fixes; input errors;
waivers; notes (baseline, comment status). The comment is the same text behind a hidden
marker, cut at a line to GitHub's 65,536-character limit with a pointer to the job summary.
Every value from scanned code goes through :mod:`scanner.reporters.markdown`'s escaping.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import quote

from scanner.model.report import UNKNOWN_VALUE, InventoryItem, Report
from scanner.model.severity import Category, Severity
from scanner.policy.people import same_person
from scanner.reporters.markdown import MISSING_CELL, code, inline

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


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(value: str | None) -> str:
    if value is None or value == "":
        return MISSING_CELL
    if value == UNKNOWN_VALUE:
        return "(unknown)"
    return code(value, table=True)


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


def _counts(report: Report) -> list[str]:
    severities = list(Severity)
    counts = Counter((str(f.category), str(f.severity)) for f in report.findings)
    out = [_row(["Category", *(sev.value for sev in severities), "Total"])]
    out.append(_row(["---", *("---:" for _ in severities), "---:"]))
    for cat in Category:
        row = [counts[(cat.value, sev.value)] for sev in severities]
        out.append(_row([cat.value, *map(str, row), str(sum(row))]))
    totals = [sum(counts[(cat.value, sev.value)] for cat in Category) for sev in severities]
    out.append(_row(["**Total**", *(f"**{n}**" for n in totals), f"**{sum(totals)}**"]))
    return out


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
    out.append(_row(header))
    out.append(_row(["---"] * len(header)))
    for item, action in changed:
        approved = _cell(item.approved_by)
        if (
            inp.pr_author
            and item.approved_by
            and item.approved_by != UNKNOWN_VALUE
            and same_person(inp.pr_author, item.approved_by, inp.aliases)
        ):
            approved += " ⚠️ self-approval"
        cells = [
            code(item.resource, table=True),
            item.kind,
            action,
            _cell(item.owner),
            _cell(item.expires),
            _cell(item.requested_by),
            approved,
            _cell(item.change_ticket),
        ]
        if inp.pr_author:
            cells.append(code(inp.pr_author, table=True))
        out.append(_row(cells))
    return out


def _line_link(file: str, line: int, blob_url: str | None) -> str:
    if not blob_url or file.startswith(("<", "/")) or ":" in file or file.startswith(".."):
        return str(line)
    return f"[{line}]({blob_url}/{quote(file)}#L{line})"


def _findings(inp: SummaryInput) -> list[str]:
    report = inp.report
    out = ["### Findings", ""]
    if not report.findings:
        out.append("No new findings." if inp.baseline_source else "No findings.")
    for file, by_file in groupby(report.findings, key=lambda f: f.file):
        out += [f"#### {code(file)}", ""]
        out.append(_row(["Line", "Resource", "Rule", "Severity", "Message", "Fix"]))
        out.append(_row(["---:", "---", "---", "---", "---", "---"]))
        for f in by_file:
            rule = f"[{f.rule_id}]({f.help_uri})" if f.help_uri else f.rule_id
            out.append(
                _row(
                    [
                        _line_link(f.file, f.line, inp.blob_url),
                        code(f.resource, table=True),
                        rule,
                        str(f.severity),
                        inline(f.message, table=True),
                        inline(f.remediation, table=True),
                    ]
                )
            )
        out.append("")
    return out


def _errors_and_waivers(report: Report) -> list[str]:
    out: list[str] = []
    if report.errors:
        out += ["### Input errors", ""]
        for e in report.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            out.append(f"- {code(where)}: {inline(e.message)}")
        out.append("")
    if report.waivers:
        out += ["### Waivers applied", ""]
        out.append(_row(["Rule", "Resource", "Owner", "Expires", "Reason", "Suppressed", "Written at"]))
        out.append(_row(["---", "---", "---", "---", "---", "---:", "---"]))
        for w in report.waivers:
            out.append(
                _row(
                    [
                        inline(w.rule_id, table=True),
                        code(w.resource, table=True),
                        _cell(w.owner),
                        w.expires or MISSING_CELL,
                        inline(w.reason, table=True) or MISSING_CELL,
                        str(w.suppressed),
                        code(w.origin, table=True),
                    ]
                )
            )
        out.append("")
    return out


def lines(inp: SummaryInput) -> list[str]:
    out = ["## nhi-guard", "", _headline(inp), "", _status(inp), ""]
    out += ["### Findings by category and severity", "", *_counts(inp.report), ""]
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
