"""Read a large plan without holding all of it as Python objects at once.

``json.loads`` of a 70 MB plan builds about 270 MB of dicts and strings, most of them for
``planned_values`` (which nhi-guard never reads) and ``resource_changes`` (which it turns into
its own, smaller model one entry at a time). Decoding the top-level object key by key, dropping
``planned_values`` and ``prior_state`` as soon as they are read, and decoding each
``resource_changes`` entry only when the loader asks for it keeps the peak near the size of the
text plus the model (bench/README.md).

Only a well-formed plan takes this path. Anything unusual (invalid JSON, a repeated key, a
non-object top level, lone surrogates) returns None, and the caller reads the text with
``json.loads`` as before, so error messages and edge cases stay exactly those of that path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
#: read to find where they end, then dropped: nothing in nhi-guard uses their content
_DROPPED = frozenset({"planned_values", "prior_state"})


@dataclass
class StreamedPlan:
    """The plan's top-level keys, with ``resource_changes`` decoded on demand."""

    top: dict[str, Any]
    text: str
    spans: list[tuple[int, int]]

    def changes(self) -> Iterator[Any]:
        for start, _end in self.spans:
            yield _DECODER.raw_decode(self.text, start)[0]


def _skip_ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _item_spans(text: str, pos: int) -> tuple[list[tuple[int, int]], int]:
    """The start and end of every element of the array at ``pos``, and the end of the array."""
    spans: list[tuple[int, int]] = []
    pos = _skip_ws(text, pos + 1)
    if text.startswith("]", pos):
        return spans, pos + 1
    while True:
        _value, end = _DECODER.raw_decode(text, pos)
        spans.append((pos, end))
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif text.startswith("]", pos):
            return spans, pos + 1
        else:
            raise ValueError("expected , or ]")


def split_plan(text: str) -> StreamedPlan | None:
    """The plan read key by key, or None when ``json.loads`` must read it instead."""
    try:
        return _split(text)
    except (ValueError, RecursionError, IndexError):  # json.JSONDecodeError is a ValueError
        return None


def _split(text: str) -> StreamedPlan | None:
    pos = _skip_ws(text, 0)
    if not text.startswith("{", pos):
        return None
    pos = _skip_ws(text, pos + 1)
    top: dict[str, Any] = {}
    spans: list[tuple[int, int]] | None = None
    while True:
        if not text.startswith('"', pos):
            return None
        key, pos = _DECODER.raw_decode(text, pos)
        if key in top:
            return None  # json.loads keeps the last of a repeated key; leave that to it
        pos = _skip_ws(text, pos)
        if not text.startswith(":", pos):
            return None
        pos = _skip_ws(text, pos + 1)
        if key == "resource_changes" and text.startswith("[", pos):
            spans, pos = _item_spans(text, pos)
            top[key] = None
        else:
            value, pos = _DECODER.raw_decode(text, pos)
            top[key] = {} if key in _DROPPED else value
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif text.startswith("}", pos):
            break
        else:
            return None
    if _skip_ws(text, pos + 1) != len(text) or spans is None:
        return None  # trailing data, or no resource_changes list: not the shape this path is for
    return StreamedPlan(top, text, spans)
