"""In-process timings for one plan file, run in the nhi-guard venv by bench/run.py.

    python bench/inproc.py plan.json [--repeat N]

Prints JSON: median seconds of ``json.loads`` alone, of the plan loader (``json.loads`` plus
``load_plan``) and of the whole ``scanner.api.scan`` (load, rules, redaction; no rendering), after
imports and one warm-up. The ratios show how far the scan is from the input's physical floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("plan")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from scanner.api import ScanOptions, scan
    from scanner.loaders.inputs import load_inputs
    from scanner.policy.config import Config
    from scanner.rules import all_rules

    all_rules()
    options = ScanOptions(config=Config())
    text = Path(args.plan).read_text(encoding="utf-8")
    scan([args.plan], options)  # warm-up: lazy imports, rule data

    def median(fn: object) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    out = {
        "file_bytes": len(text.encode()),
        "json_loads": median(lambda: json.loads(text)),
        "load": median(lambda: load_inputs([args.plan])),
        "scan": median(lambda: scan([args.plan], options)),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
