"""Fewer garbage-collector passes while a large input is loaded and checked.

Parsing allocates a Lark tree per block (about 60 nodes for a small resource) that dies young,
and CPython starts a collection every 700 allocations, each of which walks every young object:
on a 5 MB .tf file of 37,000 resources that was a tenth of the scan. Inside
:func:`fewer_collections` the first threshold is 10,000 (the parse trees form no cycles, so
waiting frees nothing later); 100,000 kept 80 MB more of Lark's cyclic garbage alive
(bench/README.md).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

THRESHOLD = 10_000
_lock = threading.Lock()
_depth = 0
_before: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    global _depth, _before
    with _lock:
        if _depth == 0:
            _before = gc.get_threshold()
            if 0 < _before[0] < THRESHOLD:  # 0: the caller turned collection off
                gc.set_threshold(THRESHOLD, _before[1], _before[2])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_before)
