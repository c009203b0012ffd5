"""GitHub-flavoured Markdown, for pull request comments and job summaries.

Every value that comes from scanned code is escaped: pipes cannot break a table, stray
backticks cannot open a code span, ``<`` cannot start HTML and ``@name`` cannot ping anyone.
Code spans that rules write in their messages (`` `approved_by` ``) are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby

from scanner.model.report import UNKNOWN_VALUE, Report
from scanner.model.severity import Category, Severity
from scanner.reporters.control import visible

MISSING_CELL = "—"
_ESCAPE = re.compile(r"([\\`*_\[\]<>|~&])")
_MENTION = re.compile(r"(?<![\w.`])(@[A-Za-z0-9][\w/-]*)")
_TICKS = re.compile(r"`+")


def code(text: str, table: bool = False) -> str:
    """``text`` as one code span, whatever backticks it holds."""
    text = visible(" ".join(text.split()))
    if not text:
        return ""
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str, table: bool) -> str:
    out = []
    for i, part in enumerate(_MENTION.split(text)):
        out.append(code(part, table) if i % 2 else _ESCAPE.sub(r"\\\1", part))
    return "".join(out)


def inline(text: str, table: bool = False) -> str:
    """Escape free text for one line of Markdown, keeping its well-formed code spans.

    Whitespace (newlines too) collapses to single spaces, so the result fits a table cell.
    """
    text = visible(" ".join(text.split()))
    out: list[str] = []
    i = 0
    while i < len(text):
        opening = _TICKS.match(text, i)
        if opening is None:
            nxt = text.find("`", i)
            nxt = len(text) if nxt < 0 else nxt
            out.append(_plain(text[i:nxt], table))
            i = nxt
            continue
        n = len(opening.group())
        close = next((m for m in _TICKS.finditer(text, opening.end()) if len(m.group()) == n), None)
        if close is None:  # an unmatched run is literal text
            out.append("\\`" * n)
            i = opening.end()
            continue
        content = text[opening.end() : close.start()]
        out.append(opening.group() + (content.replace("|", "\\|") if table else content) + close.group())
        i = close.end()
    return "".join(out)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _meta_cell(value: str | None) -> str:
    if value is None or value == "":
        return MISSING_CELL
    if value == UNKNOWN_VALUE:
        return "(unknown)"
    return code(value, table=True)


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

    severities = list(Severity)
    counts = Counter((str(f.category), str(f.severity)) for f in report.findings)
    out += ["", "### Findings by category and severity", ""]
    out.append(_row(["Category", *(sev.value for sev in severities), "Total"]))
    out.append(_row(["---", *("---:" for _ in severities), "---:"]))
    for cat in Category:
        row = [counts[(cat.value, sev.value)] for sev in severities]
        out.append(_row([cat.value, *map(str, row), str(sum(row))]))
    totals = [sum(counts[(cat.value, sev.value)] for cat in Category) for sev in severities]
    out.append(_row(["**Total**", *(f"**{n}**" for n in totals), f"**{sum(totals)}**"]))

    out += ["", f"### Non-human identities ({len(report.inventory)})", ""]
    if report.inventory:
        out.append(_row(["Resource", "Kind", "Owner", "Expires", "Approved by", "Change ticket"]))
        out.append(_row(["---"] * 6))
        for item in report.inventory:
            out.append(
                _row(
                    [
                        code(item.resource, table=True),
                        item.kind,
                        *(_meta_cell(v) for v in (item.owner, item.expires, item.approved_by, item.change_ticket)),
                    ]
                )
            )
    else:
        out.append("No non-human identities found.")

    out += ["", "### Findings", ""]
    if not report.findings:
        out.append("No findings.")
    for file, by_file in groupby(report.findings, key=lambda f: f.file):
        out += [f"#### {code(file)}", ""]
        out.append(_row(["Line", "Resource", "Rule", "Severity", "Message", "Fix"]))
        out.append(_row(["---:", "---", "---", "---", "---", "---"]))
        for f in by_file:
            rule = f"[{f.rule_id}]({f.help_uri})" if f.help_uri else f.rule_id
            out.append(
                _row(
                    [
                        str(f.line),
                        code(f.resource, table=True),
                        rule,
                        str(f.severity),
                        inline(f.message, table=True),
                        inline(f.remediation, table=True),
                    ]
                )
            )
        out.append("")

    if report.errors:
        out += ["", "### Input errors", ""]
        for e in report.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            out.append(f"- {code(where)}: {inline(e.message)}")
    if report.waivers:
        out += ["", "### Waivers applied", ""]
        out.append(_row(["Rule", "Resource", "Owner", "Expires", "Reason", "Suppressed", "Written at"]))
        out.append(_row(["---", "---", "---", "---", "---", "---:", "---"]))
        for w in report.waivers:
            out.append(
                _row(
                    [
                        inline(w.rule_id, table=True),
                        code(w.resource, table=True),
                        _meta_cell(w.owner),
                        w.expires or MISSING_CELL,
                        inline(w.reason, table=True) or MISSING_CELL,
                        str(w.suppressed),
                        code(w.origin, table=True),
                    ]
                )
            )
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
