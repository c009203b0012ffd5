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

import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["NHI_GUARD_DEBUG"] = "1"  # the loaders' safety net re-raises instead of hiding a bug

with atheris.instrument_imports(include=["scanner", "hcl2", "lark", "markdown_it"]):
    import scanner.pipeline.engine
    from scanner.loaders import inputs
    from scanner.pipeline.engine import ScanOptions
    from scanner.policy.config import Config
    from scanner.reporters import get_reporter

TARGETS = ("hcl", "plan", "markdown")
KIND = {"hcl": "hcl", "plan": "json", "markdown": "markdown"}
NAME = {"hcl": "fuzz.tf", "plan": "fuzz.json", "markdown": "fuzz.md"}
FORMATS = ("text", "json", "sarif", "markdown")
ONLY = os.environ.get("NHI_FUZZ_TARGET", "")
CONFIG = Config()

_current: inputs.Loaded = inputs.Loaded()
scanner.pipeline.engine.load_inputs = lambda *args, **kwargs: _current  # type: ignore[assignment]


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
    report = scanner.pipeline.engine.scan([name], CONFIG, ScanOptions(include_unchanged=True))
    for fmt in FORMATS:
        get_reporter(fmt)(report, False).encode("utf-8")  # what the CLI writes: must be encodable
    for err in report.errors:
        if "internal error" in err.message:
            raise AssertionError(err.message)


def test_one_input(data: bytes) -> None:
    target, payload = split(data)
    run_one(target, payload)


# --- structure-aware mutation of JSON inputs ---------------------------------------------------
# Byte mutations of a plan mostly break its syntax, so most runs would stop in json.loads. For
# an input that parses as JSON, half the mutations change one node of the structure instead.

_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**400,
    1e308,
    -0.0,
    "",
    "*",
    "\ud800",
    "\U0010ffff" * 3,
    "x" * 5000,
    "${var.x}",
    "%{ if true }",
    "arn:aws:iam::*:root",
    "2020-01-01",
    "9999-12-31T23:59:59Z",
    "roles/owner",
    "allUsers",
    "cluster-admin",
    "create",
    "delete",
    "no-op",
    ["create", "delete"],
    [],
    {},
    [None],
    {"": None},
    {"references": ["var.x"]},
    {"constant_value": "*"},
    [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
]


def _nodes(value: Any, out: list[tuple[Any, Any]]) -> None:
    stack = [value]
    while stack and len(out) < 5000:
        item = stack.pop()
        if isinstance(item, dict):
            out.extend((item, k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            out.extend((item, i) for i in range(len(item)))
            stack.extend(item)


def _mutate_json(doc: Any, rng: random.Random) -> Any:
    nodes: list[tuple[Any, Any]] = []
    _nodes(doc, nodes)
    if not nodes:
        return rng.choice(_ODD_VALUES)
    parent, key = rng.choice(nodes)
    action = rng.randrange(5)
    if action == 0:
        parent[key] = rng.choice(_ODD_VALUES)
    elif action == 1 and isinstance(parent, dict):
        del parent[key]
    elif action == 2:
        parent[key] = [parent[key]] if rng.random() < 0.5 else {"x": parent[key]}
    elif action == 3:
        other_parent, other_key = rng.choice(nodes)
        parent[key] = json.loads(json.dumps(other_parent[other_key]))  # graft another subtree here
    elif isinstance(parent[key], str):
        text = parent[key]
        cut = rng.randrange(len(text) + 1)
        parent[key] = text[:cut] + rng.choice(["*", "\ud800", '"', "\\", "${", "\n", "\x00"]) + text[cut:]
    return doc


_HCL_SNIPPETS = [
    "  x = local.x\n",
    "locals {\n  x = [local.x, local.x]\n}\n",
    '  p = jsonencode({ a = "${var.v}" })\n',
    "  h = <<-EOT\n    ${x}\n    EOT\n",
    '  t = "%{ for k in var.l }${k}%{ endfor }"\n',
    "  n = 1e999\n",
    '  s = "\\ud800\\U0010ffff\\u0000"\n',
    "  d = { for k, v in var.m : k => v }\n",
    "  e = var.a[*].b\n",
    '  f = provider::aws::arn_parse("x")\n',
    "  g = try(a.b, c)\n",
    'dynamic "x" {\n  content {}\n}\n',
    'resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n',
    "}\n",
    "{\n",
    "```\n",
    "```hcl\n",
]


def _mutate_lines(text: str, rng: random.Random) -> str:
    """Line-level edits keep more of HCL's shape than byte flips do."""
    lines = text.splitlines(keepends=True) or [""]
    i = rng.randrange(len(lines))
    action = rng.randrange(4)
    if action == 0:
        lines.insert(i, rng.choice(_HCL_SNIPPETS))
    elif action == 1:
        del lines[i]
    elif action == 2:
        lines.insert(i, lines[rng.randrange(len(lines))])
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    prefix, payload = (b"", data) if ONLY else (data[:1], data[1:])
    target = ONLY or (TARGETS[data[0] % len(TARGETS)] if data else "hcl")
    if target == "plan" and rng.random() < 0.5:
        try:
            doc = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            pass
        else:
            out = prefix + json.dumps(_mutate_json(doc, rng), indent=rng.choice([None, 1])).encode("utf-8")
            if len(out) <= max_size:
                return out
    if target in ("hcl", "markdown") and rng.random() < 0.3:
        out = prefix + _mutate_lines(payload.decode("utf-8", "replace"), rng).encode("utf-8")
        if len(out) <= max_size:
            return out
    return bytes(atheris.Mutate(data, max_size))


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
    atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
