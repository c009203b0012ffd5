"""scan() and scan_documents(): inputs in, a report and an exit code out, through the report cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from scanner.api.options import (
    STDIN,
    Inputs,
    ScanError,
    ScanOptions,
    ScanResult,
    Source,
    baseline_of,
    configs_of,
    exit_code,
    inputs_of,
    resolve_fail_on,
    settings_of,
)
from scanner.model.report import ErrorEntry, Report
from scanner.model.resource import Document, LoadError
from scanner.model.severity import Severity
from scanner.pipeline.engine import Settings, evaluate
from scanner.pipeline.provenance import InputRef, ProvenanceRequest
from scanner.policy.baseline import Baseline, apply_baseline
from scanner.policy.config import ConfigError, ConfigFile, Configs
from scanner.policy.ledger import LedgerError


def top_config(configs: Configs, inputs: Sequence[str | Source]) -> ConfigFile:
    first = next((i for i in inputs if isinstance(i, str) and i != STDIN), "<input>")
    try:
        return configs.for_input(first)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def _prime(settings: Settings, documents: list[tuple[str, Document]]) -> None:
    """Read the ledger of every scanned file before the rules run, so a malformed one stops the
    scan with its own message (a rule that met it would only report an internal error)."""
    ledgers = settings.approvals.ledgers
    if ledgers is None:
        return
    try:
        files = {res.file for _, doc in documents for res in doc.resources if res.file}
        scopes = {scope for scope, doc in documents if doc.resources}  # rules look from the root module
        for where in sorted(files | scopes):
            ledgers.for_file(where)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None


def scan(inputs: Inputs, options: ScanOptions | None = None) -> ScanResult:
    """Scan paths (``.tf`` directories or files, plan JSON, Markdown chat answers; ``-`` reads
    stdin; ``str`` or ``pathlib.Path``) and :class:`Source` texts, and decide the exit code."""
    inputs = inputs_of(inputs)
    options = options or ScanOptions()
    if not all(isinstance(f, str) for f in options.var_files):  # a pathlib.Path, as for the inputs
        options = replace(options, var_files=[os.fspath(f) for f in options.var_files])
    configs = configs_of(options)
    top = top_config(configs, inputs)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = baseline_of(options.baseline)
    settings = settings_of(options, configs)
    try:
        report = _cached_report(inputs, options, settings)
    except ConfigError as exc:  # a per-directory config found during the scan
        raise ScanError(str(exc)) from None
    return _result(report, fail_on, top, baseline)


def scan_documents(
    documents: list[tuple[str, Document]],
    options: ScanOptions | None = None,
    secrets: set[str] | None = None,
    errors: list[LoadError] | None = None,
) -> ScanResult:
    """Scan documents that a front end loaded itself (the Checkov pack builds them from Checkov's
    graph): everything after loading is the same as :func:`scan`."""
    options = options or ScanOptions()
    configs = configs_of(options)
    files = sorted({res.file for _, doc in documents for res in doc.resources if res.file})
    top = top_config(configs, files)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = baseline_of(options.baseline)
    settings = settings_of(options, configs)
    _prime(settings, documents)
    record = ProvenanceRequest([InputRef(f, path=f) for f in files]) if options.provenance else None
    try:
        report = evaluate(documents, settings, errors, len(files), secrets, record)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None
    return _result(report, fail_on, top, baseline)


def _inputs(paths: list[str], texts: list[Source], stdin: str | None, options: ScanOptions) -> ProvenanceRequest:
    """The files (and texts) a scan reads, as the loaders read them (an overlay instead of its file);
    with ``source_dir`` the plan's ``.tf`` sources too."""
    from scanner.loaders.discover import walk_inputs
    from scanner.loaders.inputs import Overlay
    from scanner.pipeline.provenance import InputRef

    overlay = Overlay(options.overlays)

    def ref(path: str) -> InputRef:
        text = overlay.text(path)
        return InputRef(path, path=None if text is not None else path, text=text)

    refs = [InputRef(t.name, text=t.text) for t in texts]
    for raw in [*paths, *([options.source_dir] if options.source_dir else [])]:
        if raw == STDIN:
            if stdin is not None:
                refs.append(InputRef("<stdin>", text=stdin))
        elif Path(raw).is_dir():
            found = walk_inputs(Path(raw), [], options.recursive)
            refs += [ref(f) for f in [*found, *overlay.added(raw, found, options.recursive)]]
        elif Path(raw).is_file() or overlay.text(raw) is not None:
            refs.append(ref(raw))
    return ProvenanceRequest(refs)


def _result(report: Report, fail_on: Severity | None, top: ConfigFile, baseline: Baseline | None) -> ScanResult:
    unfiltered = report
    if baseline is not None:
        report = apply_baseline(report, baseline.fingerprints)
    return ScanResult(report, exit_code(report, fail_on), top.config, top.path, baseline, unfiltered)


def _cached_report(inputs: list[str | Source], options: ScanOptions, settings: Settings) -> Report:
    paths = [i for i in inputs if isinstance(i, str)]
    texts = [i for i in inputs if isinstance(i, Source)]
    if not options.cache_dir or texts or options.source_dir or options.overlays or not options.recursive:
        # what the cache key cannot cover
        return _load_and_evaluate(paths, texts, options, settings, None)[0]
    from scanner.loaders.module_cache import ModuleCache
    from scanner.pipeline import report_cache

    cache = ModuleCache(options.cache_dir)
    approvals = settings.approvals
    ledgers = approvals.ledgers
    shape = repr((
        options.include_unchanged,
        settings.today.isoformat(),
        settings.requester,
        settings.selection,
        options.allow_empty,
        options.provenance,
        options.var_files,
        options.var_args,
        approvals.reviews.sha256 if approvals.reviews is not None else None,
        approvals.reviews.unavailable if approvals.reviews is not None else None,
        approvals.reviews.head if approvals.reviews is not None else None,  # which commit approvals must be of
        sorted(approvals.teams.members.items()) if approvals.teams is not None else None,
        "no ledger" if ledgers is None else "ledgers",
    ))  # fmt: skip

    def ledger_of(file: str) -> str | None:
        """The ledger that governs an input: its content is part of the key."""
        found = ledgers.for_file(file) if ledgers is not None else None
        return str(found.path) if found is not None and found.path.is_file() else None

    try:
        key = report_cache.scan_key(paths, settings.configs, shape, cache, ledger_of, options.var_files)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None
    cached = report_cache.get(cache, key) if key else None
    if cached is not None:
        return cached
    report, depends = _load_and_evaluate(paths, texts, options, settings, cache)
    if key and report_cache.scan_key(paths, settings.configs, shape, cache, ledger_of, options.var_files) == key:
        report_cache.put(cache, key, report, depends)  # no input changed meanwhile
    return report


def _load_and_evaluate(
    paths: list[str], texts: list[Source], options: ScanOptions, settings: Settings, cache: object
) -> tuple[Report, dict[str, str]]:
    """The report, and what the loaders read besides the inputs (scanner/loaders/deps.py)."""
    from scanner.loaders.inputs import load_inputs, load_stdin  # here: a report-cache hit needs no parser

    stdin_errors: list[LoadError] = []
    stdin_text = load_stdin(stdin_errors) if STDIN in paths else None
    loaded = load_inputs(
        paths,
        stdin_text,
        options.include_unchanged,
        cache,  # type: ignore[arg-type]
        options.jobs,
        texts=[(t.name, t.text) for t in texts],
        overlays=options.overlays,
        allow_empty=options.allow_empty,
        recursive=options.recursive,
        var_files=options.var_files,
        var_args=options.var_args,
    )
    if options.source_dir:
        from scanner.loaders.source_map import attach_sources

        attach_sources(loaded.documents, options.source_dir)
    _prime(settings, loaded.documents)
    record = _inputs(paths, texts, stdin_text, options) if options.provenance else None
    report = evaluate(loaded.documents, settings, loaded.errors, loaded.files, record=record)
    if stdin_errors:
        report.errors = [ErrorEntry(file=e.file, line=e.line, message=e.message) for e in stdin_errors] + report.errors
        report.summary.incomplete = True
    depends = {k: v for _, doc in loaded.documents for k, v in doc.depends.items()}
    return report, depends
