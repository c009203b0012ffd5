"""Latency of ``nhi-guard hook claude-code`` (issue 16: under 0.3 s typical for a one-file module).

    python3 bench/hook_latency.py [--runs 30] [--nhi-guard PATH]

Claude Code starts the hook as a new process before every Write, Edit and MultiEdit, so the
figure that matters is the whole process: interpreter start, imports, two scans of the module
(after and before the change) and the decision. Four events on a one-file module (an AWS user
with its tags, about 25 lines) and one on a five-file module:

* ``write-denied``: a Write that adds a never-expiring access key (both scans run, denied);
* ``edit-allowed``: an Edit that changes a tag value (one scan: nothing fails, let through);
* ``edit-widen``: an Edit that widens a policy to ``"*"`` (both scans, denied);
* ``readme``: a Write to README.md (ignored before any scan);
* ``module-5-files``: the first event on a module of five such files.

Each figure is the median and the 90th percentile of ``--runs`` runs, after one warm-up run (the
byte-code cache, as a pip install leaves it). Tests never assert timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODULE = """\
resource "aws_iam_user" "ci" {
  name = "ci-deployer"
  tags = {
    owner         = "team-platform"
    approved_by   = "bob"
    change_ticket = "CHG-1234"
    expires       = "2027-01-31"
  }
}

resource "aws_iam_user_policy" "ci" {
  name = "deploy"
  user = aws_iam_user.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "arn:aws:s3:::artifacts/*"
    }]
  })
}
"""

KEY = 'resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'


def events(module: Path) -> dict[str, dict[str, object]]:
    main = str(module / "main.tf")
    base = {"session_id": "bench", "cwd": str(module), "hook_event_name": "PreToolUse", "tool_use_id": "t"}
    return {
        "write-denied": {
            **base,
            "tool_name": "Write",
            "tool_input": {"file_path": str(module / "key.tf"), "content": KEY},
        },
        "edit-allowed": {
            **base,
            "tool_name": "Edit",
            "tool_input": {"file_path": main, "old_string": "CHG-1234", "new_string": "CHG-1235"},
        },
        "edit-widen": {
            **base,
            "tool_name": "Edit",
            "tool_input": {"file_path": main, "old_string": '["s3:PutObject"]', "new_string": '"*"'},
        },
        "readme": {
            **base,
            "tool_name": "Write",
            "tool_input": {"file_path": str(module / "README.md"), "content": "x"},
        },
    }


def run(cmd: list[str], event: dict[str, object], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system: what a busy machine does not inflate) and the decision."""
    data = json.dumps(event).encode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, input=data, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"hook failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    decision = "deny" if b'"deny"' in done.stdout else "allow"
    return elapsed, cpu, decision


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--nhi-guard", default=str(ROOT / ".venv" / "bin" / "nhi-guard"))
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NHI_GUARD_TODAY"] = "2026-11-01"
    cmd = [args.nhi_guard, "hook", "claude-code"]
    work = Path(tempfile.mkdtemp(prefix="nhi-hook-bench-"))
    try:
        one = work / "one"
        one.mkdir()
        (one / "main.tf").write_text(MODULE, encoding="utf-8")
        five = work / "five"
        five.mkdir()
        for i in range(5):
            (five / f"f{i}.tf").write_text(MODULE.replace('"ci"', f'"ci{i}"').replace(".ci.", f".ci{i}."), "utf-8")
        cases = events(one)
        cases["module-5-files"] = {**events(five)["write-denied"]}
        rows = []
        for name, event in cases.items():
            run(cmd, event, env)  # warm-up: byte-code cache
            walls: list[float] = []
            cpus: list[float] = []
            decision = ""
            for _ in range(args.runs):
                elapsed, cpu, decision = run(cmd, event, env)
                walls.append(elapsed)
                cpus.append(cpu)
            walls.sort()
            p90 = walls[min(len(walls) - 1, int(len(walls) * 0.9))]
            rows.append((name, decision, statistics.median(walls), p90, statistics.median(cpus)))
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"nhi-guard hook claude-code, {args.runs} runs each ({sys.platform}, {os.cpu_count()} cores, "
              f"load average {load:.2f})\n")
        print("| event | decision | wall median | wall p90 | CPU median |\n|---|---|---:|---:|---:|")
        for name, decision, median, p90, cpu in rows:
            print(f"| {name} | {decision} | {median:.3f} s | {p90:.3f} s | {cpu:.3f} s |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
