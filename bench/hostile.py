"""Hostile inputs (issue 12): bounded time and memory, growing linearly with the input.

    .venv/bin/python bench/hostile.py                # every workload, 3 runs each, a table on stdout
    .venv/bin/python bench/hostile.py --runs 1 --only heredoc

Each workload is generated into ``bench/.work/hostile/`` (deterministic), and scanned by
``nhi-guard scan DIR --format json --output /dev/null`` as a child process; CPU time (user +
system), wall time and peak RSS come from ``wait4``, and each figure is the median of the runs.
The targets are in bench/README.md ("Hostile inputs"); tests never assert timings.

* ``many N MB``: a .tf of small ``aws_iam_user`` resources (``name``, ``path``, two tags), about
  140 bytes each, so 5 MB is 37,000 resources; 1.25, 2.5, 5 and 10 MB show how cost grows.
* ``heredoc 7 MB``: one ``aws_iam_policy`` whose policy is a 7 MB heredoc of 66,000 statements.
* ``redos``: ``ticket_pattern = '^(a|aa)+$'`` and 300 identities whose ticket is 28 ``a`` and ``!``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, Sample, nhi_guard_bin, run_once

WORK = ROOT / "bench" / ".work" / "hostile"
MB = 1024 * 1024


def _many(size: int) -> str:
    out: list[str] = []
    total = n = 0
    while total < size:
        block = (
            f'resource "aws_iam_user" "user_{n:06d}" {{\n  name = "ci-user-{n:06d}"\n  path = "/system/"\n'
            f'  tags = {{ owner = "team-{n % 50}", ticket = "CHG-{n}" }}\n}}\n\n'
        )
        out.append(block)
        total += len(block)
        n += 1
    return "".join(out)


def _heredoc(size: int) -> str:
    lines: list[str] = []
    total = i = 0
    while total < size:
        line = f'    {{"Sid": "s{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{i}/*"}},'
        lines.append(line)
        total += len(line) + 1
        i += 1
    lines[-1] = lines[-1].rstrip(",")
    return (
        'resource "aws_iam_policy" "big" {\n  name   = "big"\n  policy = <<EOT\n'
        '{"Version": "2012-10-17", "Statement": [\n' + "\n".join(lines) + "\n]}\nEOT\n}\n"
    )


def _redos() -> tuple[str, str]:
    ticket = "a" * 28 + "!"
    blocks = [
        f'resource "aws_iam_user" "u{i}" {{\n  name = "u{i}"\n'
        f'  tags = {{ owner = "team-a", approved_by = "bob", change_ticket = "{ticket}" }}\n}}\n'
        for i in range(300)
    ]
    return "".join(blocks), "ticket_pattern = '^(a|aa)+$'\n"


def workloads() -> dict[str, Path]:
    """Name -> directory to scan, written once (regenerated when this script changes)."""
    stamp = str(os.stat(__file__).st_mtime_ns)
    out: dict[str, Path] = {}
    files: dict[str, dict[str, str]] = {
        **{f"many {mb:g} MB": {"main.tf": ""} for mb in (1.25, 2.5, 5, 10)},
        "heredoc 7 MB": {"main.tf": ""},
        "redos": {},
    }
    for name in files:
        directory = WORK / name.replace(" ", "-")
        out[name] = directory
        if (directory / ".stamp").is_file() and (directory / ".stamp").read_text() == stamp:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        if name.startswith("many"):
            (directory / "main.tf").write_text(_many(int(float(name.split()[1]) * MB) - 1024), encoding="utf-8")
        elif name.startswith("heredoc"):
            (directory / "main.tf").write_text(_heredoc(7 * MB), encoding="utf-8")
        else:
            tf, config = _redos()
            (directory / "main.tf").write_text(tf, encoding="utf-8")
            (directory / ".nhi-guard.toml").write_text(config, encoding="utf-8")
        (directory / ".stamp").write_text(stamp)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="run the workloads whose name contains this text")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    nhi = nhi_guard_bin(None) / "nhi-guard"
    env = {**os.environ, "NHI_GUARD_NO_PROGRESS": "1"}
    rows = []
    for name, directory in workloads().items():
        if args.only not in name:
            continue
        size = sum(p.stat().st_size for p in directory.glob("*.tf"))
        cmd = [str(nhi), "scan", str(directory), "--format", "json", "--output", os.devnull]
        samples: list[Sample] = []
        for i in range(args.runs):
            sample, tail = run_once(cmd, env, args.timeout)
            if sample.rc not in (0, 1):
                sys.exit(f"{name}: exit {sample.rc}: {tail.strip()}")
            samples.append(sample)
            figures = f"cpu {sample.cpu:6.2f} s  wall {sample.wall:6.2f} s  {sample.rss_mb:5.0f} MB"
            print(f"{name:14s} run {i + 1}: {figures}", file=sys.stderr)
        cpu = statistics.median(s.cpu for s in samples)
        wall = statistics.median(s.wall for s in samples)
        rss = statistics.median(s.rss_mb for s in samples)
        rows.append((name, size, cpu, wall, rss))
    print("| workload | size | CPU time | wall time | peak RSS | CPU per MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, size, cpu, wall, rss in rows:
        per_mb = cpu / (size / MB)
        print(f"| {name} | {size / MB:.2f} MB | {cpu:.2f} s | {wall:.2f} s | {rss:.0f} MB | {per_mb:.2f} s |")


if __name__ == "__main__":
    main()
