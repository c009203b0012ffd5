"""Human output: grouped by file and resource, colour only on a terminal."""

from __future__ import annotations

import os
from collections.abc import Mapping
from itertools import groupby
from typing import IO

from scanner.model.report import Report
from scanner.reporters.control import visible

_COLORS = {"critical": "\033[1;35m", "high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m"}
_RESET, _BOLD, _DIM = "\033[0m", "\033[1m", "\033[2m"


def should_color(stream: IO[str] | None, environ: Mapping[str, str] | None = None) -> bool:
    """Colour decision for ``stream``, following https://no-color.org and the FORCE_COLOR convention.

    ``NO_COLOR`` (any non-empty value) wins; then a non-empty ``FORCE_COLOR`` other than ``0``/``false``
    turns colour on even when piped; otherwise colour only on a terminal that is not ``TERM=dumb``.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force != "":
        return force.strip().lower() not in ("0", "false", "no", "off")
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # closed or odd streams
        return False


def render(report: Report, color: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    v = visible  # every value that can come from scanned code goes through it
    out: list[str] = []
    for file, by_file in groupby(report.findings, key=lambda f: f.file):
        out.append(c(_BOLD, v(file)))
        for resource, items in groupby(by_file, key=lambda f: f.resource):
            group = list(items)
            out.append(f"  {c(_BOLD, v(resource))}  {c(_DIM, f'({v(group[0].resource_type)})')}")
            for f in group:
                sev = c(_COLORS.get(str(f.severity), ""), f"{str(f.severity).upper():8}")
                out.append(f"    {sev} {f.rule_id}  {v(f.title)}  {c(_DIM, f'line {f.line}')}")
                out.append(f"             {v(f.message)}")
                out.append(f"             fix: {v(f.remediation)}")
        out.append("")
    for e in report.errors:
        where = f"{e.file}:{e.line}" if e.line else e.file
        out.append(c(_COLORS["high"], v(f"error: {where}: {e.message}")))
    for w in report.waivers:
        out.append(
            c(
                _DIM,
                v(
                    f"waived: {w.rule_id} on {w.resource} until {w.expires} "
                    f"(owner {w.owner}: {w.reason}) [{w.origin}], {w.suppressed} finding(s)"
                ),
            )
        )
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def summary_line(report: Report) -> str:
    s = report.summary
    counts = ", ".join(f"{n} {k}" for k, n in s.by_severity.items() if n) or "no findings"
    status = "incomplete scan" if s.incomplete else "scan complete"
    hidden = f"{s.preexisting} pre-existing hidden (baseline); " if s.preexisting else ""
    return (
        f"{s.total} finding(s) ({counts}) in {s.resources_scanned} resource(s) from "
        f"{s.files_scanned} file(s); {s.suppressed} waived; {hidden}{status}"
    )
