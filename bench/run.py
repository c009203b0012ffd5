#!/usr/bin/env python3
"""Benchmark nhi-guard against Checkov on generated workloads. See bench/README.md.

    python3 bench/run.py            # everything (about 35 minutes, most of it Checkov)
    python3 bench/run.py --quick    # smoke run: small workloads, one run each (about a minute)

Creates what it needs: the workloads (bench/.work, seeded, so identical on every machine),
a venv for nhi-guard when the repository has none (bench/.venv-nhi-guard) and a separate venv
for Checkov (bench/.venv-checkov, checkov==3.3.30; never the project venv: checkov's
bc-python-hcl2 and python-hcl2 install the same ``hcl2`` package). Every command runs as a
child process; its wall time, CPU time and peak RSS come from ``wait4``. nhi-guard and Checkov
runs alternate, so a noisy machine slows both alike, and each figure is the median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CHECKOV_VERSION = "3.3.30"
BIN = "Scripts" if os.name == "nt" else "bin"


# --- environment ----------------------------------------------------------------------------


def _say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _venv(path: Path, install: list[str], check: str) -> Path:
    """``path``'s bin directory, creating the venv and installing ``install`` when ``check`` is missing."""
    bindir = path / BIN
    if (bindir / check).exists():
        return bindir
    _say(f"creating {path} (pip install {' '.join(install)}) ...")
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", *install], check=True)
    return bindir


def nhi_guard_bin(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit) / BIN
    project = ROOT / ".venv"
    if (project / BIN / "nhi-guard").exists():
        return project / BIN
    return _venv(BENCH / ".venv-nhi-guard", ["-e", str(ROOT)], "nhi-guard")


def checkov_bin(explicit: str | None) -> Path:
    path = Path(explicit or os.environ.get("NHI_BENCH_CHECKOV_VENV") or BENCH / ".venv-checkov")
    return _venv(path, [f"checkov=={CHECKOV_VERSION}"], "checkov")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # as on a user's machine: byte-code is cached; no nhi-guard cache unless a row asks for it
    for key in ("PYTHONDONTWRITEBYTECODE", "NHI_GUARD_CACHE_DIR", "PYTHONPATH"):
        env.pop(key, None)
    env["NHI_GUARD_NO_PROGRESS"] = "1"
    return env


def checkov_pack() -> Path | None:
    """``checks/`` once it holds a policy pack (Python or YAML checks), else None."""
    checks = ROOT / "checks"
    if not checks.is_dir():
        return None
    for p in checks.rglob("*"):
        if p.is_file() and (p.suffix in (".yaml", ".yml") or (p.suffix == ".py" and p.name != "__init__.py")):
            return checks
    return None


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    rc: int


@dataclass
class Result:
    tool: str
    samples: list[Sample] = field(default_factory=list)
    error: str = ""

    def median(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples]
        return statistics.median(values) if values else None


def run_once(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[Sample, str]:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    # Linux reports KiB, macOS bytes. wait4 gives the largest of the child and its reaped children.
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss, proc.returncode), tail


@dataclass
class Row:
    name: str
    what: str
    nhi: list[str]
    ckv: list[str] | None
    resources: int = 0
    size: int = 0
    large: bool = False
    setup: Any = None  # called before each nhi-guard run
    prepare: Any = None  # called once before the row's first run
    results: dict[str, Result] = field(default_factory=dict)


def measure(row: Row, nhi_runs: int, ckv_runs: int, env: dict[str, str], timeout: float) -> None:
    ok_codes = {0, 1}  # nhi-guard and checkov: 0 clean, 1 findings
    row.results = {"nhi-guard": Result("nhi-guard"), "checkov": Result("checkov")}
    plan = [("nhi-guard", row.nhi, nhi_runs)] + ([("checkov", row.ckv, ckv_runs)] if row.ckv else [])
    if row.prepare:
        row.prepare()
    for i in range(max(n for _, _, n in plan)):
        for tool, cmd, runs in plan:
            res = row.results[tool]
            if i >= runs or res.error:
                continue
            if tool == "nhi-guard" and row.setup:
                row.setup()
            sample, tail = run_once(cmd, env, timeout)
            if sample.rc not in ok_codes and sample.wall >= timeout:
                res.error = f"stopped after {timeout:.0f} s (--timeout), {sample.rss_mb:.0f} MB"
                _say(f"{row.name} {tool}: {res.error}")
                continue
            if sample.rc not in ok_codes:
                res.error = f"exit {sample.rc}: {tail.strip().splitlines()[-1] if tail.strip() else ''}"
                _say(f"{row.name} {tool}: {res.error}")
                continue
            res.samples.append(sample)
            _say(f"{row.name:22s} {tool:9s} run {i + 1}: {sample.wall:7.2f} s {sample.rss_mb:7.0f} MB")


# --- workloads ------------------------------------------------------------------------------


def workloads(args: argparse.Namespace, nhi: Path, ckv: Path | None) -> list[Row]:
    plans = [100, 1000] if args.quick else [100, 1000, 10000, 50000]
    trees = [10, 100] if args.quick else [10, 100, 1000]
    work = Path(args.work)
    stamp = work / ".generator"
    digest = str(hash_file(BENCH / "generate.py"))
    if stamp.exists() and stamp.read_text() != digest:  # generator changed: regenerate everything
        shutil.rmtree(work)
    _say(f"generating workloads in {work} ...")
    # in a child process: a child inherits its parent's peak RSS across exec on Linux, so this
    # process must stay small for the peak-memory figures of the tools it runs to be right
    out = subprocess.run([sys.executable, str(BENCH / "generate.py"), str(work), "--plans", ",".join(map(str, plans)),
                          "--trees", ",".join(map(str, trees)), "--chat-blocks", "50"],
                         check=True, capture_output=True, text=True).stdout
    paths = {name: Path(path) for name, path in (line.split(" ", 1) for line in out.splitlines())}
    stamp.write_text(digest)

    ng = [str(nhi / "nhi-guard")]
    pack = checkov_pack()
    extra = ["--external-checks-dir", str(pack)] if pack else []
    ck = [str(ckv / "checkov"), "--skip-download", *extra] if ckv else None
    rows = [
        Row("start-up (--version)", "", [*ng, "--version"], [str(ckv / "checkov"), "--version"] if ckv else None),
    ]
    chat = paths["chat-50"]
    rows.append(
        Row("chat answer, 50 blocks", f"{chat.stat().st_size // 1024} KB", [*ng, "scan", str(chat), "--format", "json"],
            [*ck, "--framework", "terraform", "-d", str(paths["chat-50-tf"]), "-o", "json"] if ck else None,
            size=chat.stat().st_size)
    )
    for n in plans:
        p = paths[f"plan-{n}"]
        size = p.stat().st_size
        rows.append(
            Row(f"plan {n:,} changes", f"{size / 2**20:.1f} MB", [*ng, "scan", str(p), "--format", "json"],
                [*ck, "--framework", "terraform_plan", "-f", str(p), "-o", "json"] if ck else None,
                resources=n, size=size, large=n >= 10000)
        )
    for n in trees:
        d = paths[f"hcl-{n}"]
        size = sum(f.stat().st_size for f in d.rglob("*.tf"))
        ck_cmd = [*ck, "--framework", "terraform", "-d", str(d), "-o", "json"] if ck else None
        scan = [*ng, "scan", str(d), "--format", "json"]
        rows.append(Row(f"HCL {n:,} files", f"{size // 1024} KB", scan, ck_cmd, size=size, large=n >= 1000))
        if n == max(trees):
            rows.append(Row(f"HCL {n:,} files, 1 process", "", [*scan, "--jobs", "1"], None, size=size))
            cache_dir = Path(tempfile.mkdtemp(prefix="nhi-bench-cache-"))
            cold_dir = cache_dir / "cold"
            warm_dir = cache_dir / "warm"

            def reset_cold(cold_dir: Path = cold_dir) -> None:
                shutil.rmtree(cold_dir, ignore_errors=True)

            rows.append(Row(f"HCL {n:,} files, cache cold", "", [*scan, "--cache-dir", str(cold_dir)], None,
                            size=size, setup=reset_cold))
            def prime(cmd: list[str] = [*scan, "--cache-dir", str(warm_dir)]) -> None:  # noqa: B006
                # right before the runs: an edited scanner (a new key) must not leave the cache cold
                subprocess.run(cmd, env=child_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)

            rows.append(Row(f"HCL {n:,} files, cache warm", "", [*scan, "--cache-dir", str(warm_dir)], None,
                            size=size, prepare=prime))
            # one file edited before each run: its module is parsed again, the report is not reused
            edited_tree = cache_dir / "edited"
            edited_cache = cache_dir / "edited-cache"
            edited_scan = [*ng, "scan", str(edited_tree), "--format", "json", "--cache-dir", str(edited_cache)]
            counter = [0]

            def copy_and_prime(src: Path = d, cmd: list[str] = edited_scan, tree: Path = edited_tree) -> None:
                shutil.rmtree(tree, ignore_errors=True)
                shutil.copytree(src, tree)
                subprocess.run(cmd, env=child_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)

            def edit_one(tree: Path = edited_tree, counter: list[int] = counter) -> None:
                counter[0] += 1
                first = min(tree.rglob("*.tf"))
                with first.open("a", encoding="utf-8") as fh:
                    fh.write(f"# edit {counter[0]}\n")

            rows.append(Row(f"HCL {n:,} files, cache warm, 1 file edited", "", edited_scan, None,
                            size=size, prepare=copy_and_prime, setup=edit_one))
    return rows


def hash_file(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- in-process measurements ----------------------------------------------------------------


def _json_run(cmd: list[str]) -> dict[str, Any] | None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=ROOT, check=False)
    if proc.returncode != 0:
        _say(f"failed: {' '.join(cmd)}: {proc.stderr.strip()[-300:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def parser_rows(args: argparse.Namespace, nhi: Path, ckv: Path | None) -> list[dict[str, Any]]:
    tree = str(Path(args.work) / ("hcl-100" if args.quick else "hcl-1000"))
    script = str(BENCH / "parser_throughput.py")
    repeat = "1" if args.quick else "3"
    out = []
    for mode in ("loads", "tree", "scanner"):
        r = _json_run([str(nhi / "python"), script, tree, "--mode", mode, "--repeat", repeat])
        if r:
            out.append(r)
    if ckv:
        for mode in ("loads", "tree"):
            r = _json_run([str(ckv / "python"), script, tree, "--mode", mode, "--repeat", repeat])
            if r:
                out.append(r)
    return out


def floor_rows(args: argparse.Namespace, nhi: Path) -> list[dict[str, Any]]:
    sizes = [1000] if args.quick else [1000, 10000, 50000]
    out = []
    for n in sizes:
        path = str(Path(args.work) / f"plan-{n}.json")
        r = _json_run([str(nhi / "python"), str(BENCH / "inproc.py"), path, "--repeat", "1" if n >= 50000 else "3"])
        if r:
            out.append({"resources": n, **r})
    return out


# --- report ---------------------------------------------------------------------------------


def _fmt(v: float | None, unit: str = "s") -> str:
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.2f} s" if v < 100 else f"{v:.0f} s"
    return f"{v:.0f} MB"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{b / a:.1f}x" if a and b else "-"


def report(rows: list[Row], parsers: list[dict[str, Any]], floors: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"nhi-guard {meta['nhi_version']} ({meta['commit']}) vs checkov {meta['checkov_version']}"
        f"{' + checks/ pack' if meta['pack'] else ' (built-in checks; no checks/ pack yet)'}; "
        f"{meta['cpus']} CPUs, Python {meta['python']}, load average at start {meta['load']}",
        "",
        "| workload | size | nhi-guard time | nhi-guard peak RSS | checkov time | checkov peak RSS | speed-up |"
        " memory ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        n, c = r.results["nhi-guard"], r.results["checkov"]
        nt, nm, ct, cm = n.median("wall"), n.median("rss_mb"), c.median("wall"), c.median("rss_mb")
        runs = f" (n={len(c.samples)})" if c.samples and len(c.samples) != len(n.samples) else ""
        lines.append(
            f"| {r.name} | {r.what} | {_fmt(nt)} | {_fmt(nm, 'MB')} | "
            f"{(_fmt(ct) + runs) if r.ckv else '-'} | {_fmt(cm, 'MB') if r.ckv else '-'} | "
            f"{_ratio(nt, ct)} | {_ratio(nm, cm)} |"
            + (f" nhi-guard error: {n.error}" if n.error else "") + (f" checkov error: {c.error}" if c.error else "")
        )
    plan_rows = [r for r in rows if r.resources]
    startup = rows[0].results["nhi-guard"].median("wall") or 0.0
    lines += ["", "Cost slope (plan JSON): time per resource change", "",
              "| changes | nhi-guard ms/change | nhi-guard ms/change after start-up | nhi-guard CPU ms/change |"
              " checkov ms/change |", "|---:|---:|---:|---:|---:|"]
    for r in plan_rows:
        n, c = r.results["nhi-guard"], r.results["checkov"]
        nt, ncpu, ct = n.median("wall"), n.median("cpu"), c.median("wall")
        lines.append(
            f"| {r.resources:,} | {1000 * nt / r.resources:.3f} | {1000 * (nt - startup) / r.resources:.3f} | "
            f"{1000 * ncpu / r.resources:.3f} | {(1000 * ct / r.resources) if ct else float('nan'):.3f} |"
            if nt and ncpu else f"| {r.resources:,} | - | - | - | - |"
        )
    big = max(plan_rows, key=lambda r: r.resources, default=None)
    if big and big.results["nhi-guard"].median("rss_mb"):
        rss = big.results["nhi-guard"].median("rss_mb") or 0
        lines += ["", f"Peak memory on the {big.resources:,}-change plan: {rss:.0f} MB for a "
                      f"{big.size / 2**20:.0f} MB file = {rss * 2**20 / big.size:.1f}x the file size."]
    if floors:
        lines += ["", "Physical floor: `json.loads` alone vs the plan loader and the whole scan (in-process, "
                      "after imports)", "",
                  "| changes | json.loads | load (read, decode, load_plan) | scan (load + rules + redaction) |"
                  " load / json.loads | scan / json.loads |", "|---:|---:|---:|---:|---:|---:|"]
        for f in floors:
            lines.append(
                f"| {f['resources']:,} | {f['json_loads']:.3f} s | {f['load']:.3f} s | {f['scan']:.3f} s | "
                f"{f['load'] / f['json_loads']:.1f}x | {f['scan'] / f['json_loads']:.1f}x |"
            )
    if parsers:
        lines += ["", f"HCL parser throughput, one core, {parsers[0]['files']} files, {parsers[0]['bytes'] // 1024} KB "
                      "(best of the passes)", "",
                  "| library | what | KB/s | failed files |", "|---|---|---:|---:|"]
        what = {"loads": "`hcl2.loads` (dict transform; checkov's path)", "tree": "Lark tree only",
                "scanner": "nhi-guard `parse_text` (Lark tree + block extraction)"}
        for p in parsers:
            lines.append(f"| {p['library']} | {what[p['mode']]} | {p['kb_per_s']:.0f} | {p['failed']} |")
    cache_rows = {r.name: r for r in rows if "cache" in r.name}
    cold = next((r for n, r in cache_rows.items() if n.endswith("cold")), None)
    warm = next((r for n, r in cache_rows.items() if n.endswith("warm")), None)
    base = next((r for r in rows if cold and r.name == cold.name.replace(", cache cold", "")), None)
    edited = next((r for n, r in cache_rows.items() if n.endswith("edited")), None)
    if cold and warm and base:
        b, c_, w = (x.results["nhi-guard"].median("wall") for x in (base, cold, warm))
        if b and c_ and w:
            lines += ["", f"Cache, {base.name}: no cache {b:.2f} s, cold cache (parse + write) {c_:.2f} s "
                          f"({100 * (c_ - b) / b:+.0f}%), warm cache, nothing changed (report reused) {w:.2f} s: "
                          f"re-scan {c_ / w:.1f}x faster than the cold scan."]
            e = edited.results["nhi-guard"].median("wall") if edited else None
            if e:
                lines[-1] += (f" Warm cache with one file edited (its module parsed again, every rule run) "
                              f"{e:.2f} s: {c_ / e:.1f}x faster.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small workloads, one run each: a smoke test")
    ap.add_argument("--runs", type=int, help="runs per figure (default 3; --quick 1)")
    ap.add_argument("--checkov-large-runs", type=int, default=1,
                    help="checkov runs on the 10k/50k plans and the 1,000-file tree (minutes each; default 1)")
    ap.add_argument("--no-checkov", action="store_true", help="measure nhi-guard only")
    ap.add_argument("--checkov-venv", help="an existing venv with checkov (default bench/.venv-checkov, created)")
    ap.add_argument("--nhi-guard-venv", help="an existing venv with nhi-guard (default .venv, else created)")
    ap.add_argument("--work", default=str(BENCH / ".work"), help="where workloads are generated")
    ap.add_argument("--only", help="only rows whose name contains this text")
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds before one run is stopped (default 900: Checkov needs hours on the 50k plan)")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)

    nhi = nhi_guard_bin(args.nhi_guard_venv)
    ckv = None if args.no_checkov else checkov_bin(args.checkov_venv)
    env = child_env()
    # warm byte-code caches and the OS page cache for both tools before anything is timed
    for cmd in [[str(nhi / "nhi-guard"), "--version"]] + ([[str(ckv / "checkov"), "--version"]] if ckv else []):
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    version = subprocess.run([str(nhi / "nhi-guard"), "--version"], env=env, capture_output=True, text=True,
                             check=False).stdout.strip().rsplit(" ", 1)[-1]
    ckv_version = subprocess.run([str(ckv / "checkov"), "--version"], env=env, capture_output=True, text=True,
                                 check=False).stdout.strip() if ckv else "not run"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "scanner"], cwd=ROOT, capture_output=True, text=True,
                           check=False).stdout.strip()
    meta = {
        "nhi_version": version, "commit": commit + ("+local changes" if dirty else ""), "checkov_version": ckv_version,
        "pack": bool(checkov_pack()) and bool(ckv), "cpus": os.cpu_count(), "python": platform.python_version(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
    }
    rows = workloads(args, nhi, ckv)
    if sys.platform.startswith("linux"):
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _say(f"bench process peak RSS {own:.0f} MB: the floor of any child's peak RSS figure")
    if args.only:
        rows = [r for r in rows if args.only.lower() in r.name.lower()]
    for row in rows:
        ckv_runs = min(runs, args.checkov_large_runs) if row.large else runs
        measure(row, runs, ckv_runs if row.ckv else 0, env, args.timeout)
    parsers = [] if args.only else parser_rows(args, nhi, ckv)
    floors = [] if args.only else floor_rows(args, nhi)
    text = report(rows, parsers, floors, meta)
    print(text)
    out = Path(args.work) / ("results-quick" if args.quick else "results")
    out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    raw = {"meta": meta, "parsers": parsers, "floors": floors,
           "rows": [{"name": r.name, "what": r.what, "resources": r.resources, "size": r.size,
                     "results": {k: asdict(v) for k, v in r.results.items()}} for r in rows]}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
    _say(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
