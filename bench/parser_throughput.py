"""Raw HCL parser throughput on one core, in whichever venv runs this script.

    python bench/parser_throughput.py DIR [--mode loads|tree|scanner] [--repeat N]

Prints one JSON object: bytes, seconds (best of N passes over every .tf file), KB/s, files
that failed to parse. It never imports nhi-guard unless ``--mode scanner`` asks for it, so the
same script measures python-hcl2 in the nhi-guard venv and checkov's fork (bc-python-hcl2,
the same ``hcl2`` import name) in checkov's venv.

* ``loads``: ``hcl2.loads(text)``: the dict transform, what checkov's terraform runner calls;
* ``tree``: the Lark tree only (python-hcl2 8.x ``hcl2.parser.parser().parse``; for
  bc-python-hcl2, ``hcl2.api.hcl2.lark_parser.parse`` or equivalent);
* ``scanner``: nhi-guard's ``parse_text`` (Lark tree + top-level block extraction).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _files(root: str) -> list[tuple[str, str]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".tf"):
                path = os.path.join(dirpath, f)
                out.append((path, Path(path).read_text(encoding="utf-8")))
    return out


def _parser(mode: str) -> Callable[[str], Any]:
    if mode == "scanner":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from scanner.loaders.hcl_parse import parse_text

        return lambda text: parse_text(text, "<bench>")
    import hcl2

    if mode == "loads":
        return hcl2.loads  # type: ignore[no-any-return]
    try:  # python-hcl2 >= 5
        from hcl2.parser import parser

        lark = parser()
    except ImportError:  # bc-python-hcl2: the Lark instance sits on the Hcl2 class
        from hcl2.parser import Hcl2

        lark = Hcl2.lark_parser
    return lark.parse  # type: ignore[no-any-return]


def measure(root: str, mode: str, repeat: int) -> dict[str, Any]:
    files = _files(root)
    parse = _parser(mode)
    failed: set[str] = set()
    for path, text in files[:3]:  # warm the parser (grammar load, regex compile)
        try:
            parse(text)
        except Exception:  # noqa: BLE001 - counted below
            failed.add(path)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for path, text in files:
            try:
                parse(text)
            except Exception:  # noqa: BLE001 - a grammar the fork does not support: counted, not fatal
                failed.add(path)
        best = min(best, time.perf_counter() - start)
    size = sum(len(text.encode()) for _, text in files)
    try:
        from importlib.metadata import version

        lib = next(
            f"{name} {version(name)}" for name in ("bc-python-hcl2", "python-hcl2") if _installed(name)
        )
    except StopIteration:
        lib = "unknown"
    return {
        "mode": mode,
        "library": lib,
        "files": len(files),
        "bytes": size,
        "seconds": round(best, 4),
        "kb_per_s": round(size / 1024 / best, 1) if best > 0 else None,
        "failed": len(failed),
    }


def _installed(name: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(name)
    except PackageNotFoundError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--mode", default="loads", choices=["loads", "tree", "scanner"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(measure(args.root, args.mode, args.repeat)))


if __name__ == "__main__":
    main()
