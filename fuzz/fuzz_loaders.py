"""Coverage-guided fuzzing of the HCL, plan JSON and Markdown loaders (atheris / libFuzzer).

Run (from the repository root, after ``pip install -e '.[fuzz]'``)::

    .venv/bin/python fuzz/fuzz_loaders.py -max_total_time=300

One run fuzzes all three loaders: the first byte of each input picks the loader
(0 HCL, 1 plan JSON, 2 Markdown), the rest is the file's bytes. Set
``NHI_FUZZ_TARGET=hcl|plan|markdown`` to fuzz one loader only (no selector byte then).

Every input goes the whole way a real scan goes: bytes -> UTF-8 decoding -> loader ->
rules -> all four reporters -> UTF-8. A crash is any exception that escapes, including the
"internal error" the loaders would otherwise turn into an error entry
(``NHI_GUARD_DEBUG=1`` makes them raise), and any input slower than ``-timeout``
seconds. Crashing inputs land in ``fuzz/crashes/``; keep each one under
``fixtures/regressions/`` (``tests/test_bad_input_regressions.py`` replays them).

Without corpus directories on the command line, a working corpus is seeded from
``fixtures/`` into ``$TMPDIR/nhi-guard-fuzz-corpus`` (outside the repository).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["NHI_GUARD_DEBUG"] = "1"  # the loaders' safety net re-raises instead of hiding a bug

with atheris.instrument_imports(include=["scanner", "hcl2", "lark", "markdown_it"]):
    import scanner.engine
    from scanner.config import Config
    from scanner.engine import ScanOptions
    from scanner.loaders import inputs
    from scanner.reporters import get_reporter

TARGETS = ("hcl", "plan", "markdown")
KIND = {"hcl": "hcl", "plan": "json", "markdown": "markdown"}
NAME = {"hcl": "fuzz.tf", "plan": "fuzz.json", "markdown": "fuzz.md"}
FORMATS = ("text", "json", "sarif", "markdown")
ONLY = os.environ.get("NHI_FUZZ_TARGET", "")
CONFIG = Config()

_current: inputs.Loaded = inputs.Loaded()
scanner.engine.load_inputs = lambda *args, **kwargs: _current  # type: ignore[assignment]


def split(data: bytes) -> tuple[str, bytes]:
    """The loader an input targets, and the file's bytes."""
    if ONLY:
        return ONLY, data
    if not data:
        return "hcl", b""
    return TARGETS[data[0] % len(TARGETS)], data[1:]


def run_one(target: str, payload: bytes) -> None:
    """What ``nhi-guard scan`` does with one file of this kind, minus the file system."""
    global _current
    loaded = inputs.Loaded(files=1)
    name = NAME[target]
    text = inputs.read_text(name, payload, loaded.errors)
    inputs._load_text(name, text, KIND[target], loaded, True)
    _current = loaded
    report = scanner.engine.scan([name], CONFIG, ScanOptions(include_unchanged=True))
    for fmt in FORMATS:
        get_reporter(fmt)(report, False).encode("utf-8")  # what the CLI writes: must be encodable
    for err in report.errors:
        if "internal error" in err.message:
            raise AssertionError(err.message)


def test_one_input(data: bytes) -> None:
    target, payload = split(data)
    run_one(target, payload)


def _seed_corpus() -> str:
    work = Path(tempfile.gettempdir()) / f"nhi-guard-fuzz-corpus-{ONLY or 'all'}"
    work.mkdir(exist_ok=True)
    seeds = {
        "hcl": sorted((ROOT / "fixtures" / "hcl").rglob("*.tf")),
        "plan": sorted((ROOT / "fixtures" / "plan").rglob("*.json")),
        "markdown": sorted((ROOT / "fixtures" / "markdown").glob("*.md")),
    }
    for target, files in seeds.items():
        if ONLY and target != ONLY:
            continue
        selector = b"" if ONLY else bytes([TARGETS.index(target)])
        for f in files:
            data = f.read_bytes()
            if len(data) <= 16_384:
                (work / f"{target}-{f.parent.name}-{f.name}").write_bytes(selector + data)
    return str(work)


def main() -> None:
    argv = list(sys.argv)
    if not any(a.startswith("-timeout=") for a in argv):
        argv.append("-timeout=20")
    if not any(a.startswith("-rss_limit_mb=") for a in argv):
        argv.append("-rss_limit_mb=4096")
    if not any(a.startswith("-dict=") for a in argv):
        argv.append(f"-dict={ROOT / 'fuzz' / 'loaders.dict'}")
    if not any(a.startswith("-max_len=") for a in argv):
        argv.append("-max_len=16384")
    if not any(a.startswith("-artifact_prefix=") for a in argv):
        crashes = ROOT / "fuzz" / "crashes"
        crashes.mkdir(exist_ok=True)
        argv.append(f"-artifact_prefix={crashes}/")
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(_seed_corpus())
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
