"""The Markdown pieces every Markdown output is built from, and the one place that makes scanned
text safe to show in GitHub-flavoured Markdown.

The ``markdown`` report format (:mod:`scanner.reporters.markdown`) and the GitHub Action's job
summary and pull request comment (:mod:`scanner.integrations.action.summary`) both build their
tables and lists here, so the two cannot drift apart, and neither escapes anything itself.

Scanned text (addresses, file names, tag values, messages that quote them) reaches a page that
many people read. Made harmless here:

* a pipe cannot end a table cell, a backtick cannot open a code span, ``<`` cannot start HTML,
  ``*``/``_``/``[`` cannot format or link;
* a bare URL (``https://…``, ``www.…``), an e-mail address and an ``@name`` or ``@org/team``
  become code spans, where GitHub makes no link and notifies nobody;
* control characters are shown as ``\\x1b`` (:func:`scanner.reporters.control.visible`).

Code spans that rules write in their messages (`` `approved_by` ``) are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby

from scanner.model.report import UNKNOWN_VALUE, AppliedWaiver, ErrorEntry, Finding
from scanner.model.severity import Category, Severity
from scanner.reporters.control import visible

MISSING_CELL = "—"
_ESCAPE = re.compile(r"([\\`*_\[\]<>|~&])")
#: what GitHub turns into a link or a notification in plain text: URLs with a scheme, `www.`
#: hosts, e-mail addresses, @mentions of people and teams (not the @ of an e-mail address), and
#: issue references (`#12`, `org/repo#12`, `GH-12`), which also put a "mentioned this" event on
#: that issue or pull request
_LINKY = re.compile(
    r"((?i:\b[a-z][a-z0-9+.-]*://[^\s<>`]*"  # https://x, ftp://x, any scheme
    r"|\bwww\.[^\s<>`]*"
    r"|\b(?:mailto|xmpp):[^\s<>`]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<![\w.`])@[a-z0-9][\w/-]*)"  # @name, @org/team
    r"|(?<![\w.`/#-])(?:[A-Za-z0-9][\w.-]*/[\w.-]+)?#\d+\b"  # #12, org/repo#12
    r"|\bGH-\d+\b)"
)
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
    for i, part in enumerate(_LINKY.split(text)):
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


def cell(value: str | None) -> str:
    """A metadata value in a table: ``—`` when missing, ``(unknown)``, else the value as code."""
    if value is None or value == "":
        return MISSING_CELL
    if value == UNKNOWN_VALUE:
        return "(unknown)"
    return code(value, table=True)


def row(cells: Sequence[str]) -> str:
    """One table row of cells already made safe (by :func:`code`, :func:`inline` or :func:`cell`)."""
    return "| " + " | ".join(cells) + " |"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    """A table: ``header`` (our own words), ``align`` per column (``---`` or ``---:``), ``rows``."""
    return [row(header), row(align or ["---"] * len(header)), *(row(r) for r in rows)]


def counts_table(findings: Sequence[Finding]) -> list[str]:
    """Findings by category (rows) and severity (columns), with totals."""
    severities = list(Severity)
    counts = Counter((str(f.category), str(f.severity)) for f in findings)
    rows = []
    for cat in Category:
        numbers = [counts[(cat.value, sev.value)] for sev in severities]
        rows.append([cat.value, *map(str, numbers), str(sum(numbers))])
    totals = [sum(counts[(cat.value, sev.value)] for cat in Category) for sev in severities]
    rows.append(["**Total**", *(f"**{n}**" for n in totals), f"**{sum(totals)}**"])
    return table(["Category", *(sev.value for sev in severities), "Total"], rows, ["---", *("---:" for _ in severities),
                                                                                   "---:"])  # fmt: skip


def findings_tables(findings: Sequence[Finding], line_cell: Callable[[Finding], str] | None = None) -> list[str]:
    """A ``#### file`` heading and a table of its findings, per file (findings come sorted by file)."""
    out: list[str] = []
    for file, by_file in groupby(findings, key=lambda f: f.file):
        out += [f"#### {code(file)}", ""]
        rows = [
            [
                line_cell(f) if line_cell else str(f.line),
                code(f.resource, table=True),
                f"[{f.rule_id}]({f.help_uri})" if f.help_uri else f.rule_id,
                str(f.severity),
                inline(f.message, table=True),
                inline(f.remediation, table=True),
            ]
            for f in by_file
        ]
        out += table(["Line", "Resource", "Rule", "Severity", "Message", "Fix"], rows,
                     ["---:", "---", "---", "---", "---", "---"])  # fmt: skip
        out.append("")
    return out


def error_list(errors: Sequence[ErrorEntry]) -> list[str]:
    return [f"- {code(f'{e.file}:{e.line}' if e.line else e.file)}: {inline(e.message)}" for e in errors]


def waivers_table(waivers: Sequence[AppliedWaiver]) -> list[str]:
    rows = [
        [
            inline(w.rule_id, table=True),
            code(w.resource, table=True),
            cell(w.owner),
            inline(w.expires, table=True) or MISSING_CELL,
            inline(w.reason, table=True) or MISSING_CELL,
            str(w.suppressed),
            code(w.origin, table=True),
        ]
        for w in waivers
    ]
    return table(["Rule", "Resource", "Owner", "Expires", "Reason", "Suppressed", "Written at"], rows,
                 ["---", "---", "---", "---", "---", "---:", "---"])  # fmt: skip
