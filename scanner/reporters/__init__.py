"""Reporters render a :class:`scanner.model.report.Report`; they never see raw resource values.

Each reporter module has ``render(report, color=False) -> str``; only the text reporter uses ``color``.
A reporter may also have ``chunks(report, color=False)``, the same text in pieces, for large reports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # the CLI reads FORMATS at start-up: no pydantic import for --version
    from scanner.model.report import Report

Renderer = Callable[["Report", bool], str]

_MODULES = {
    "text": "scanner.reporters.text",
    "json": "scanner.reporters.json_reporter",
    "sarif": "scanner.reporters.sarif",
    "markdown": "scanner.reporters.markdown",
    "gitlab": "scanner.reporters.gitlab",
    "junit": "scanner.reporters.junit",
    "evidence": "scanner.reporters.evidence",
}
FORMATS = tuple(_MODULES)


def get_reporter(name: str) -> Renderer:
    """The renderer for a format name; unknown names raise ``KeyError``."""
    module = importlib.import_module(_MODULES[name])
    return cast(Renderer, module.render)


def get_chunked_reporter(name: str) -> Callable[[Report, bool], Iterable[str]]:
    """Like :func:`get_reporter`, but the text may come in pieces (the JSON report does)."""
    module = importlib.import_module(_MODULES[name])
    chunks = getattr(module, "chunks", None)
    if chunks is not None:
        return cast(Callable[["Report", bool], Iterable[str]], chunks)
    render = cast(Renderer, module.render)
    return lambda report, color: [render(report, color)]
