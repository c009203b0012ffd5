from __future__ import annotations

from scanner.report import Report


def render(report: Report, color: bool = False) -> str:
    return report.model_dump_json(indent=2) + "\n"
