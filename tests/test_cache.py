"""The module cache and parallel loading: same results as a plain load, and never stale."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.cli import main
from scanner.loaders import module_cache as cache_mod
from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.inputs import load_inputs
from scanner.loaders.module_cache import ModuleCache, ModuleJob, decode_document, encode_document, load_modules
from scanner.model.resource import Document, LoadError, Resource
from scanner.model.values import PartialJson, Unknown
from scanner.policy.config import Config, Configs, load_config

KEY_TF = """
resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { owner = "team-a" }
}
resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}
"""


def _report(path: Path, **options: object) -> dict[str, object]:
    report = scan([str(path)], ScanOptions(config=Config(), today=TODAY, **options)).report  # type: ignore[arg-type]
    return report.model_dump(mode="json")


def _tree(root: Path, modules: int = 3) -> Path:
    for i in range(modules):
        d = root / f"mod{i}"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(KEY_TF.replace('"ci"', f'"ci-{i}"'), encoding="utf-8")
        (d / "vars.tf").write_text('variable "x" { default = "y" }\n', encoding="utf-8")
    return root


def _entries(cache_dir: Path) -> list[Path]:
    """Module entries (scanner/loaders/module_cache.py)."""
    return sorted((cache_dir / f"v{cache_mod.FORMAT}").rglob("*.json"))


def _reports(cache_dir: Path) -> list[Path]:
    """Report entries (scanner/pipeline/report_cache.py)."""
    return sorted((cache_dir / f"reportv{cache_mod.FORMAT}").rglob("*.json"))


@pytest.mark.parametrize("case", sorted(p.name for p in (FIXTURES / "hcl").iterdir() if p.is_dir()))
def test_encoding_round_trips_every_fixture(case: str) -> None:
    loaded = load_inputs([str(FIXTURES / "hcl" / case)])
    for _, doc in loaded.documents:
        back = decode_document(encode_document(doc))
        assert back.resources == doc.resources
        assert back.errors == doc.errors
        assert back.secrets == doc.secrets


def test_encoding_keeps_unknowns_tuples_sets_and_odd_keys() -> None:
    attrs = {
        "u": Unknown("var.x"),
        "p": PartialJson({"Action": ["s3:*"], "Resource": Unknown("aws_s3_bucket.b.arn")}, "jsonencode(...)"),
        "nul": {"\x00tag": 1, "plain": [1, 2.5, True, None]},
        "t": (1, "a"),
        "s": {"a"},
    }
    res = Resource("aws_iam_role.r", "managed", "aws_iam_role", "r", attrs, "main.tf", 3, comments=[(4, "# x")])
    doc = Document(resources=[res], errors=[LoadError("main.tf", None, "m")], secrets={"s3cr3t"})
    back = decode_document(encode_document(doc))
    assert back.resources == [res]
    assert type(back.resources[0].attrs["p"]) is PartialJson
    assert back.resources[0].comments == [(4, "# x")]
    assert back.errors == doc.errors and back.secrets == doc.secrets


def test_warm_scan_equals_cold_scan_and_hits(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    plain = _report(tree)
    cold = _report(tree, cache_dir=str(cache_dir))
    assert len(_entries(cache_dir)) == 3
    warm_cache = ModuleCache(cache_dir)
    loaded = load_inputs([str(tree)], cache=warm_cache)
    assert (warm_cache.hits, warm_cache.misses) == (3, 0)
    assert len(loaded.documents) == 3
    assert _report(tree, cache_dir=str(cache_dir)) == cold == plain


def test_changed_file_is_parsed_again(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", modules=1)
    cache_dir = tmp_path / "cache"
    main_tf = tree / "mod0" / "main.tf"
    before = _report(tree, cache_dir=str(cache_dir))
    assert "NHI_AWS_001" in {f["rule_id"] for f in before["findings"]}  # type: ignore[index]
    stat_before = main_tf.stat()
    # same size, same mtime: only the content says it changed
    main_tf.write_text(KEY_TF.replace('"ci"', '"cj"').replace('"ci-0"', '"cj-0"'), encoding="utf-8")
    os.utime(main_tf, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    after = _report(tree, cache_dir=str(cache_dir))
    assert after == _report(tree)
    assert after != before
    assert len(_entries(cache_dir)) == 2


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not json at all", b'{"format": 1, "key": "other"}\n{}', b"\xff\xfe\x00", None],
    ids=["empty", "text", "wrong-key", "binary", "bad-body"],
)
def test_corrupt_cache_is_ignored_and_replaced(tmp_path: Path, garbage: bytes | None) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    expected = _report(tree, cache_dir=str(cache_dir))
    for entry in _entries(cache_dir):
        if garbage is None:  # the right header, a body that is not a document
            header = entry.read_text(encoding="utf-8").partition("\n")[0]
            entry.write_text(header + '\n{"resources": [{"address": 1}]}', encoding="utf-8")
        else:
            entry.write_bytes(garbage)
    fresh = ModuleCache(cache_dir)
    load_inputs([str(tree)], cache=fresh)
    assert (fresh.hits, fresh.misses) == (0, 3)
    assert _report(tree, cache_dir=str(cache_dir)) == expected
    again = ModuleCache(cache_dir)
    load_inputs([str(tree)], cache=again)
    assert again.hits == 3  # the corrupt entries were rewritten


def test_unusable_cache_directory_is_skipped(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert _report(tree, cache_dir=str(blocker / "sub")) == _report(tree)


def test_version_bump_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [Chunk("main.tf", KEY_TF)]
    doc = load_chunks(chunks, {"main.tf": KEY_TF.splitlines()})
    old = ModuleCache(tmp_path)
    old.put(old.key(chunks), encode_document(doc))
    assert ModuleCache(tmp_path).get(old.key(chunks)) is not None
    monkeypatch.setattr(cache_mod, "__version__", "99.0.0")
    bumped = ModuleCache(tmp_path)
    assert bumped.key(chunks) != old.key(chunks)
    assert bumped.get(bumped.key(chunks)) is None
    monkeypatch.undo()

    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda d: "0.0.1" if d == "python-hcl2" else real(d))
    assert ModuleCache(tmp_path).key(chunks) != old.key(chunks)


def test_key_covers_path_offset_and_text() -> None:
    c = ModuleCache("/nonexistent", salt="s")
    base = c.key([Chunk("a.tf", "x = 1\n")])
    assert c.key([Chunk("b.tf", "x = 1\n")]) != base
    assert c.key([Chunk("a.tf", "x = 1\n", 3)]) != base
    assert c.key([Chunk("a.tf", "x = 2\n")]) != base
    # no ambiguity between where one part ends and the next begins
    assert c.key([Chunk("a", "b.tf")]) != c.key([Chunk("ab", ".tf")])
    assert ModuleCache("/nonexistent", salt="t").key([Chunk("a.tf", "x = 1\n")]) != base


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_cache_directory_is_private(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    _report(_tree(tmp_path / "tree", modules=1), cache_dir=str(cache_dir))
    for d in [p for p in cache_dir.rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(d.stat().st_mode) & 0o077 == 0
    for f in _entries(cache_dir):
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are used on Linux only")
def test_parallel_load_equals_sequential(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for case in sorted((FIXTURES / "hcl").iterdir())[:8]:
        shutil.copytree(case, tree / case.name)
    sequential = load_inputs([str(tree)], processes=1)
    parallel = load_inputs([str(tree)], processes=2)
    assert [s for s, _ in parallel.documents] == [s for s, _ in sequential.documents]
    for (_, a), (_, b) in zip(parallel.documents, sequential.documents, strict=True):
        assert a.resources == b.resources and a.errors == b.errors and a.secrets == b.secrets
    assert _report(tree, jobs=2) == _report(tree, jobs=1)


def _fail_in_worker(job: ModuleJob) -> tuple[str, object]:
    raise RuntimeError("worker failure")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are used on Linux only")
def test_worker_failure_falls_back_to_loading_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path / "tree")
    jobs = [ModuleJob(str(d), [Chunk(str(d / "main.tf"), KEY_TF)], {}) for d in sorted(tree.iterdir())]
    expected = [load_chunks(j.chunks, j.sources) for j in jobs]
    monkeypatch.setattr(cache_mod, "_load_encoded", _fail_in_worker)
    got = [load() for _, load in load_modules(jobs, None, processes=2)]
    assert [d.resources for d in got] == [d.resources for d in expected]


def test_cli_cache_dir_gives_the_same_report_outside_the_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    runner = CliRunner()
    plain = runner.invoke(main, ["scan", str(tree), "--format", "json"])
    first = runner.invoke(main, ["scan", str(tree), "--format", "json", "--cache-dir", str(cache_dir)])
    second = runner.invoke(main, ["scan", str(tree), "--format", "json", "--cache-dir", str(cache_dir)])
    assert plain.exit_code == first.exit_code == second.exit_code == 1
    assert json.loads(plain.stdout) == json.loads(first.stdout) == json.loads(second.stdout)
    assert _entries(cache_dir)
    assert not [p for p in tree.rglob("*") if p.suffix == ".json"]  # nothing written into the scanned tree


def test_default_location_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NHI_GUARD_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_mod.default_dir() == tmp_path / "explicit"
    monkeypatch.delenv("NHI_GUARD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.default_dir() == tmp_path / "xdg" / "nhi-guard"


def test_today_and_config_are_never_baked_into_a_cached_result(tmp_path: Path) -> None:
    # expiry is judged by the rules at scan time, never baked into a cached module
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'resource "aws_iam_role" "r" {\n  name = "r"\n  tags = { owner = "a", expires = "2026-12-01" }\n}\n',
        encoding="utf-8",
    )
    cache_dir = str(tmp_path / "cache")
    early = scan([str(tree)], ScanOptions(config=Config(), today=date(2026, 11, 1), cache_dir=cache_dir)).report
    late = scan([str(tree)], ScanOptions(config=Config(), today=date(2027, 1, 1), cache_dir=cache_dir)).report
    assert "NHI_EXP_001" not in {f.rule_id for f in early.findings}
    assert "NHI_EXP_001" in {f.rule_id for f in late.findings}
    # and for the report cache: today, and the config, are part of its key
    cfg = tmp_path / "nhi-guard.toml"
    cfg.write_text('disable = ["NHI_EXP_001"]\n', encoding="utf-8")
    quiet = scan([str(tree)], ScanOptions(config=load_config(cfg), today=date(2027, 1, 1), cache_dir=cache_dir)).report
    assert "NHI_EXP_001" not in {f.rule_id for f in quiet.findings}
    assert len(_reports(Path(cache_dir))) == 3


# --- the report cache (scanner/pipeline/report_cache.py) ---------------------------------------------------


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a report-cache hit must not load anything")

    monkeypatch.setattr("scanner.loaders.inputs.load_inputs", refuse)


def test_unchanged_tree_reuses_the_report_without_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    plain = _report(tree)
    cold = _report(tree, cache_dir=str(cache_dir))
    assert len(_reports(cache_dir)) == 1
    _no_loading(monkeypatch)
    assert _report(tree, cache_dir=str(cache_dir)) == cold == plain


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename"])
def test_any_change_to_the_inputs_misses(tmp_path: Path, change: str) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    _report(tree, cache_dir=str(cache_dir))
    main_tf = tree / "mod1" / "main.tf"
    if change == "edit":  # same size, same mtime: only the content differs
        before = main_tf.stat()
        main_tf.write_text(KEY_TF.replace('"ci"', '"cj"').replace('"ci-1"', '"cj-1"'), encoding="utf-8")
        os.utime(main_tf, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif change == "add":
        (tree / "mod1" / "extra.tf").write_text('resource "aws_iam_user" "new" { name = "n" }\n', encoding="utf-8")
    elif change == "remove":
        main_tf.unlink()
    else:
        main_tf.rename(tree / "mod1" / "other.tf")
    assert _report(tree, cache_dir=str(cache_dir)) == _report(tree)
    assert len(_reports(cache_dir)) == 2


@pytest.mark.parametrize("garbage", [b"", b"{}", b'{"format": 1, "key": "other"}\n{}', None], ids=str)
def test_corrupt_report_entry_is_a_miss(tmp_path: Path, garbage: bytes | None) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    expected = _report(tree, cache_dir=str(cache_dir))
    (entry,) = _reports(cache_dir)
    if garbage is None:  # the right header, a body that is not a report
        entry.write_text(entry.read_text(encoding="utf-8").partition("\n")[0] + '\n{"findings": 3}', encoding="utf-8")
    else:
        entry.write_bytes(garbage)
    assert _report(tree, cache_dir=str(cache_dir)) == expected


def test_reports_read_from_stdin_pipes_or_with_sources_are_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _tree(tmp_path / "tree", modules=1)
    cache_dir = tmp_path / "cache"
    plan = FIXTURES / "plan" / "aws_iam_count.json"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(KEY_TF.encode())))
    scan(["-"], ScanOptions(config=Config(), today=TODAY, cache_dir=str(cache_dir)))
    scan([str(plan)], ScanOptions(config=Config(), today=TODAY, cache_dir=str(cache_dir), source_dir=str(tree)))
    assert _reports(cache_dir) == []
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "plan.json"
        os.mkfifo(fifo)
        from scanner.pipeline import report_cache as scan_cache

        key = scan_cache.scan_key([str(fifo)], Configs(), "", ModuleCache(cache_dir))
        assert key is None  # reading the pipe to hash it would consume the plan


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX ownership and modes")
@pytest.mark.parametrize("how", ["group-writable directory", "symlinked entry"])
def test_a_planted_report_is_never_trusted(tmp_path: Path, how: str) -> None:
    tree = _tree(tmp_path / "tree")
    cache_dir = tmp_path / "cache"
    expected = _report(tree, cache_dir=str(cache_dir))
    assert expected["findings"]
    (entry,) = _reports(cache_dir)
    header = entry.read_text(encoding="utf-8").partition("\n")[0]
    planted = header + "\n" + json.dumps({**expected, "findings": []})
    if how == "group-writable directory":
        entry.write_text(planted, encoding="utf-8")
        entry.parent.chmod(0o770)
    else:
        elsewhere = tmp_path / "planted.json"
        elsewhere.write_text(planted, encoding="utf-8")
        entry.unlink()
        entry.symlink_to(elsewhere)
    assert _report(tree, cache_dir=str(cache_dir)) == expected


def test_config_file_name_and_layout_are_part_of_the_report_key(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", modules=1)
    cache_dir = str(tmp_path / "cache")
    waiver = '[[waivers]]\nrule = "NHI_AWS_001"\nresource = "aws_iam_access_key.ci-0"\nreason = "r"\nowner = "o"\n' \
             "expires = 2020-01-01\n"  # expired: reported as NHI_APR_004 at the waiver's line

    def apr_004(cfg: Path) -> list[tuple[str, int]]:
        report = scan([str(tree)], ScanOptions(config=str(cfg), today=TODAY, cache_dir=cache_dir)).report
        return [(Path(f.file).name, f.line) for f in report.findings if f.rule_id == "NHI_APR_004"]

    cfg = tmp_path / "a.toml"
    cfg.write_text(waiver, encoding="utf-8")
    assert apr_004(cfg) == [("a.toml", 1)]
    cfg.write_text("# moved down\n\n" + waiver, encoding="utf-8")
    assert apr_004(cfg) == [("a.toml", 3)]
    other = tmp_path / "b.toml"
    other.write_text(waiver, encoding="utf-8")
    assert apr_004(other) == [("b.toml", 1)]


def test_a_file_changed_during_the_scan_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.pipeline import report_cache as scan_cache

    tree = _tree(tmp_path / "tree", modules=1)
    cache_dir = tmp_path / "cache"
    real_key = scan_cache.scan_key
    calls = []

    def key_then_edit(*args: object) -> str | None:
        key = real_key(*args)  # type: ignore[arg-type]
        calls.append(key)
        if len(calls) == 1:  # saved by an editor between the key and the load
            (tree / "mod0" / "main.tf").write_text(KEY_TF.replace('"ci"', '"cj"'), encoding="utf-8")
        return key

    monkeypatch.setattr(scan_cache, "scan_key", key_then_edit)
    _report(tree, cache_dir=str(cache_dir))
    assert len(calls) == 2 and calls[0] != calls[1]
    assert _reports(cache_dir) == []
