"""Real cache entries, mutated at random: a scan never fails with an internal error.

Raw damage (a cut, a changed byte, a lost or doubled line) is caught by the entry's SHA-256 and
the entry is rebuilt, so the report is the cold scan's. Damage that keeps the checksum right (an
entry rewritten by hand, or by a bug) and puts a value of the wrong type anywhere in it is caught
by the decoder's type checks; it may also be a well-formed value that changes the report, which
the cache cannot tell from the truth, but it never raises.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, TODAY

from scanner.api import ScanOptions, scan
from scanner.loaders import module_cache
from scanner.policy.config import Config

CASES = ["hcl/governance_waivers", "hcl/secrets_literal", "hcl/aws_escalation_cases", "markdown/secrets_literal.md"]
_ODD_VALUES: list[Any] = [None, True, 0, -1, 2**70, 1.5, "", "x", [], {}, [1, "a"], {"a": 1}, {"\x00": "u"},
                          {"\x00": "t", "v": 3}, {"\x00": "S", "v": [[1]]}, {"\x00": "d", "v": [[[], 1]]}]  # fmt: skip


def _report(target: Path, cache_dir: Path | None) -> dict[str, Any]:
    options = ScanOptions(config=Config(), today=TODAY, cache_dir=str(cache_dir) if cache_dir else None)
    return scan([str(target)], options).report.model_dump(mode="json")


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*.json") if not p.name.startswith(".tmp-"))


def _raw_damage(rng: random.Random, data: bytes) -> bytes:
    how = rng.choice(["cut", "byte", "drop-line", "double-line", "empty"])
    if how == "cut":
        return data[: rng.randrange(len(data))]
    if how == "byte":
        i = rng.randrange(len(data))
        return data[:i] + bytes([(data[i] + rng.randrange(1, 256)) % 256]) + data[i + 1 :]
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    if how == "drop-line":
        return b"\n".join(lines[:i] + lines[i + 1 :])
    if how == "double-line":
        return b"\n".join(lines[: i + 1] + lines[i:])
    return b""


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _nodes(v, (*path, i))
    return out


def _retype(rng: random.Random, body: Any) -> Any:
    """``body`` with one node, chosen at random, replaced by a value of another shape."""
    path = rng.choice(_nodes(body)[1:] or [()])
    if not path:
        return rng.choice(_ODD_VALUES)
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = rng.choice([v for v in _ODD_VALUES if type(v) is not type(parent[path[-1]])])
    return body


@pytest.mark.parametrize("case", CASES)
def test_randomly_mutated_cache_entries_never_cause_an_internal_error(tmp_path: Path, case: str) -> None:
    source = FIXTURES / case
    target = tmp_path / source.name
    (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    cold = _report(target, None)
    cache_dir = tmp_path / "cache"
    assert _report(target, cache_dir) == cold
    pristine = {p: p.read_bytes() for p in _entries(cache_dir)}
    assert any("reportv" in str(p) for p in pristine)
    assert any("reportv" not in str(p) for p in pristine) == source.is_dir()  # modules: .tf directories only
    rng = random.Random(f"{case}-12")
    for _ in range(40):
        entry = rng.choice(sorted(pristine))
        for p, data in pristine.items():  # start from good entries each time
            p.write_bytes(data)
        if "reportv" not in str(entry):  # a module entry is read only when the report is not reused
            for p in pristine:
                if "reportv" in str(p):
                    p.unlink()
        if rng.random() < 0.5:
            entry.write_bytes(_raw_damage(rng, pristine[entry]))
            assert _report(target, cache_dir) == cold  # a miss, then the scan as if cold
            assert entry.read_bytes() == pristine[entry]  # rebuilt
            continue
        header, _, body = pristine[entry].decode("utf-8").partition("\n")
        mutated = json.dumps(_retype(rng, json.loads(body)))
        key = json.loads(header)["key"]
        entry.write_text(json.dumps(module_cache._header(key, mutated)) + "\n" + mutated, encoding="utf-8")
        report = _report(target, cache_dir)
        assert not [e for e in report["errors"] if "internal error" in e["message"]], report["errors"]
