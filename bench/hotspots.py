"""Where a scan spends its time: phase timings and the cProfile top entries.

    .venv/bin/python bench/hotspots.py bench/.work/plan-10000.json        # phases + top 25 by own time
    .venv/bin/python bench/hotspots.py bench/.work/hcl-1000 --top 40 --sort cumulative

Runs in the nhi-guard venv, in-process. The phases are timed by wrapping the functions the
engine calls, so the numbers add up to one real scan, not to a re-implementation of it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _timed(table: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[name] += time.perf_counter() - start

    return wrapper


def phases(paths: list[str]) -> dict[str, float]:
    """Seconds per phase of one scan: load (parse + evaluate), rules, redact, render."""
    import json

    from scanner.api import ScanOptions, scan
    from scanner.loaders import hcl, inputs, plan, plan_stream
    from scanner.pipeline import engine
    from scanner.policy.config import Config
    from scanner.reporters import get_reporter

    table: dict[str, float] = defaultdict(float)
    originals = (inputs.load_inputs, inputs.split_plan, hcl.parse_text, plan.load_plan, engine.Redactor.report)
    # the engine imports load_inputs when a scan starts, from the module: patch it there
    inputs.load_inputs = _timed(table, "load (all loaders)", inputs.load_inputs)  # type: ignore[assignment]
    inputs.split_plan = _timed(table, "  plan: top-level JSON decode (split_plan)", plan_stream.split_plan)
    hcl.parse_text = _timed(table, "  hcl: Lark parse", hcl.parse_text)  # type: ignore[attr-defined]
    inputs.load_plan = _timed(table, "  plan: load_plan (after json.loads)", plan.load_plan)  # type: ignore[attr-defined]

    class _Json:
        def __getattr__(self, name: str) -> Any:
            return getattr(json, name)

        loads = staticmethod(_timed(table, "  json.loads", json.loads))

    inputs.json = _Json()  # type: ignore[assignment]
    engine.Redactor.report = _timed(table, "redact report", engine.Redactor.report)  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        report = scan(paths, ScanOptions(config=Config())).report
        table["scan total"] = time.perf_counter() - start
        start = time.perf_counter()
        get_reporter("json")(report, False)
        table["render json"] = time.perf_counter() - start
    finally:
        inputs.load_inputs = originals[0]  # type: ignore[assignment]
        inputs.split_plan = originals[1]
        inputs.json = json  # type: ignore[assignment]
        hcl.parse_text = originals[2]  # type: ignore[attr-defined]
        inputs.load_plan = originals[3]  # type: ignore[attr-defined]
        engine.Redactor.report = originals[4]  # type: ignore[method-assign]
    table["rules + model + report"] = table["scan total"] - table["load (all loaders)"] - table["redact report"]
    return dict(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    args = ap.parse_args()
    # warm imports and the parser so the profile shows the scan, not start-up
    from scanner.api import ScanOptions, scan
    from scanner.loaders.hcl_parse import _parser
    from scanner.policy.config import Config

    _parser()
    for name, secs in phases(args.paths).items():
        print(f"{name:40s} {secs:8.3f} s")
    prof = cProfile.Profile()
    prof.enable()
    scan(args.paths, ScanOptions(config=Config()))
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
