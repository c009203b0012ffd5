"""Reporters render a :class:`scanner.report.Report`; they never see raw resource values.

Each reporter module has ``render(report, color=False) -> str``; only the text reporter uses ``color``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from scanner.report import Report

Renderer = Callable[[Report, bool], str]

_MODULES = {
    "text": "scanner.reporters.text",
    "json": "scanner.reporters.json_reporter",
    "sarif": "scanner.reporters.sarif",
    "markdown": "scanner.reporters.markdown",
}
FORMATS = tuple(_MODULES)


def get_reporter(name: str) -> Renderer:
    """The renderer for a format name; unknown names raise ``KeyError``."""
    module = importlib.import_module(_MODULES[name])
    return cast(Renderer, module.render)
