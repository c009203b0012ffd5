"""Reporters render a :class:`scanner.report.Report`; they never see raw resource values."""

from __future__ import annotations

from collections.abc import Callable

from scanner.report import Report


def get_reporter(name: str) -> Callable[[Report, bool], str]:
    if name == "json":
        from scanner.reporters.json_reporter import render
    elif name == "sarif":
        from scanner.reporters.sarif import render
    elif name == "markdown":
        from scanner.reporters.markdown import render
    else:
        from scanner.reporters.text import render
    return render


FORMATS = ("text", "json", "sarif", "markdown")
