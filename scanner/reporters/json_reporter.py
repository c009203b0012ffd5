from __future__ import annotations

import json
from collections.abc import Iterator

from pydantic import BaseModel

from scanner.model.report import Report


def render(report: Report, color: bool = False) -> str:
    return "".join(chunks(report, color))


def chunks(report: Report, color: bool = False) -> Iterator[str]:
    """``report.model_dump_json(indent=2)`` and a newline, produced one entry at a time.

    The same text, byte for byte (tests/test_reporters.py), but never the whole of it at once:
    serialising a 50,000-change plan's report in one piece held two 38 MB copies of it at the
    scan's memory peak (bench/README.md).
    """
    names = list(type(report).model_fields)
    yield "{\n"
    for i, name in enumerate(names):
        value = getattr(report, name)
        end = ",\n" if i < len(names) - 1 else "\n"
        key = json.dumps(name)
        if isinstance(value, list):
            if not value:
                yield f"  {key}: []{end}"
                continue
            yield f"  {key}: [\n"
            last = len(value) - 1
            for j, item in enumerate(value):
                yield _indented(item, "    ", first=True) + (",\n" if j < last else "\n")
            yield f"  ]{end}"
        elif value is None:
            yield f"  {key}: null{end}"
        else:
            yield f"  {key}: " + _indented(value, "  ", first=False) + end
    yield "}\n"


def _indented(model: BaseModel, prefix: str, first: bool) -> str:
    # JSON strings hold no raw newline (it is escaped), so every newline is a line of the layout
    lines = model.model_dump_json(indent=2).split("\n")
    head = prefix + lines[0] if first else lines[0]
    return "\n".join([head, *(prefix + line for line in lines[1:])])
