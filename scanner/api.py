"""nhi-guard's Python API: the one entry point every front end calls.

The CLI, the GitHub Action, the Checkov policy pack and the assistant integrations all go
through :func:`scan` (or, for an already loaded model, :func:`scan_documents`), so the same
inputs and config give the same findings, severities, waivers and exit code everywhere.

    from scanner.api import ScanOptions, Source, scan

    result = scan(["infra/"], ScanOptions(fail_on="high"))
    for finding in result.report.findings:
        print(finding.rule_id, finding.resource, finding.message)
    raise SystemExit(result.exit_code)

    # text that is not on disk: a chat answer, an editor buffer
    result = scan([Source("answer.md", text)])

It owns everything around the pipeline:

* **config discovery**: an explicit config (a file or a :class:`~scanner.policy.config.Config`)
  governs everything; otherwise each input file is governed by the nearest config file above it;
* **waivers**: inline comments and each config's ``[[waivers]]`` (applied in the pipeline);
* **secrets and redaction**: the report is redacted before it is returned;
* **cache**: ``cache_dir`` reuses loaded modules and whole reports;
* **baseline**: findings whose fingerprint is in an earlier JSON report are hidden;
* **requester**: who asks for the change (an approval by them is self-approval);
* **exit code**: 0, 1 (a finding at or above ``fail_on``) or 2 (an input could not be read).

Errors that stop a scan before it starts (a broken config, an unreadable baseline) raise
:class:`ScanError` with a one-line message naming the file; bad *inputs* never raise, they
are listed in ``report.errors`` and make the exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from scanner.model.report import ErrorEntry, Report
from scanner.model.resource import Document, LoadError
from scanner.model.severity import Severity
from scanner.pipeline.engine import Settings, evaluate
from scanner.policy.baseline import Baseline, BaselineError, apply_baseline, load_baseline
from scanner.policy.config import Config, ConfigError, ConfigFile, Configs
from scanner.policy.selection import Selection, normalise

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "Source",
    "exit_code",
    "resolve_fail_on",
    "scan",
    "scan_documents",
    "selection_of",
]

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"


class ScanError(Exception):
    """The scan could not start: a config or baseline that cannot be used. The message names the file."""


@dataclass(frozen=True)
class Source:
    """An input given as text rather than a path.

    ``name`` is how the report names it and tells its format by its ending (``main.tf``,
    ``plan.json``, ``answer.md``); a name without a known ending is sniffed from the content.
    It is scanned as a module of its own.
    """

    name: str
    text: str


@dataclass
class ScanOptions:
    #: a config file, a Config object, or None to discover the nearest config above each input
    #: (a :class:`~scanner.policy.config.Configs` shares one discovery between scans)
    config: Config | Configs | str | Path | None = None
    #: lowest severity that fails (exit code 1); "none" never fails; None: the config's fail_on
    fail_on: Severity | Literal["none"] | str | None = None
    #: a JSON report of an earlier scan: findings already in it are hidden
    baseline: str | Path | Baseline | None = None
    #: who asks for this change (a pull request's author); their own approval is self-approval
    requester: str | None = None
    #: plan JSON: also scan unchanged (no-op) resources
    include_unchanged: bool = False
    #: plan JSON: the root module directory, so plan findings point at their .tf lines
    source_dir: str | None = None
    #: reuse loaded modules and whole reports from this directory (None: no cache)
    cache_dir: str | None = None
    #: processes that load .tf modules (None: all cores for large trees)
    jobs: int | None = 1
    #: the date the scan is "as of" (expiry checks); None: $NHI_GUARD_TODAY, else today
    today: date | None = None
    #: rule IDs or prefixes to run, ruff-style (``["NHI_AWS", "NHI_SEC_001"]``); replaces the config's
    #: ``select``. None: the config's (scanner/policy/selection.py)
    select: Sequence[str] | None = None
    #: rule IDs or prefixes not to run; added to the config's ``disable``
    ignore: Sequence[str] = ()
    #: path -> text read instead of that file, or as an extra file when it does not exist: a ``.tf``
    #: overlay joins the module of its directory (a coding agent's proposed write, an unsaved buffer)
    overlays: Mapping[str, str] = field(default_factory=dict)
    #: a directory (or tree) holding no Terraform file is not an input error
    allow_empty: bool = False
    #: variables files (``--var-file``) and ``NAME=VALUE`` pairs (``--var``) for every .tf
    #: directory scanned on its own, after its terraform.tfvars and *.auto.tfvars
    var_files: list[str] = field(default_factory=list)
    var_args: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    report: Report
    exit_code: int
    #: the config that decided ``fail_on``: the explicit one, else the one nearest the first input
    config: Config
    #: that config's file, when it came from one
    config_file: str | None = None
    #: the baseline that was applied, if any
    baseline: Baseline | None = None
    #: the findings before the baseline hid any (SARIF keeps every finding: code scanning tracks alerts)
    unfiltered: Report | None = field(default=None, repr=False)


def exit_code(report: Report, fail_on: Severity | None) -> int:
    """2 when an input could not be read, 1 for a finding at or above ``fail_on`` (None: never), else 0."""
    if report.errors:
        return EXIT_ERROR
    if fail_on is not None and any(Severity(f.severity).rank >= fail_on.rank for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def resolve_fail_on(value: Severity | str | None, config: Config) -> Severity | None:
    """The lowest failing severity: ``value`` ("none": never fail), else the config's ``fail_on``."""
    if value is None:
        return config.fail_on
    if value == "none":
        return None
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join([*(s.value for s in Severity), "none"])
        raise ScanError(f"fail_on: '{value}' is not one of {choices}") from None


def _configs(options: ScanOptions) -> Configs:
    if isinstance(options.config, Configs):
        return options.config
    try:
        return Configs(options.config)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def _top(configs: Configs, inputs: Sequence[str | Source]) -> ConfigFile:
    first = next((i for i in inputs if isinstance(i, str) and i != STDIN), "<input>")
    try:
        return configs.for_input(first)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def _baseline(value: str | Path | Baseline | None) -> Baseline | None:
    if value is None or isinstance(value, Baseline):
        return value
    try:
        return load_baseline(value)
    except BaselineError as exc:
        raise ScanError(str(exc)) from None


def _settings(options: ScanOptions, configs: Configs) -> Settings:
    requester = options.requester.strip() if options.requester and options.requester.strip() else None
    selection = selection_of(options)
    return Settings(configs=configs, today=options.today or _today(), requester=requester, selection=selection)


def selection_of(options: ScanOptions) -> Selection:
    """The options' ``select`` / ``ignore``; a selector that matches no rule is a :class:`ScanError`."""
    selection = Selection(
        select=normalise(options.select) if options.select is not None else None,
        ignore=normalise(options.ignore),
    )
    if selection.select is None and not selection.ignore:
        return selection
    from scanner.rules import all_rules

    unknown = selection.unknown(r.id for r in all_rules())
    if unknown:
        raise ScanError(
            f"select/ignore: {', '.join(unknown)} matches no rule; run `nhi-guard rules` for the IDs "
            "(a prefix such as NHI_AWS selects a family)"
        )
    return selection


def _today() -> date:
    """``NHI_GUARD_TODAY`` (an ISO date) pins the date for reproducible runs; otherwise today."""
    pinned = os.environ.get("NHI_GUARD_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ScanError(f"NHI_GUARD_TODAY: '{pinned}' is not a date like 2026-12-31") from None
    return date.today()


def scan(inputs: Sequence[str | Source], options: ScanOptions | None = None) -> ScanResult:
    """Scan paths (``.tf`` directories or files, plan JSON, Markdown chat answers; ``-`` reads
    stdin) and :class:`Source` texts, and decide the exit code."""
    options = options or ScanOptions()
    configs = _configs(options)
    top = _top(configs, inputs)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = _baseline(options.baseline)
    settings = _settings(options, configs)
    try:
        report = _cached_report(list(inputs), options, settings)
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
    configs = _configs(options)
    files = sorted({res.file for _, doc in documents for res in doc.resources if res.file})
    top = _top(configs, files)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = _baseline(options.baseline)
    try:
        report = evaluate(documents, _settings(options, configs), errors, len(files), secrets)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None
    return _result(report, fail_on, top, baseline)


def _result(report: Report, fail_on: Severity | None, top: ConfigFile, baseline: Baseline | None) -> ScanResult:
    unfiltered = report
    if baseline is not None:
        report = apply_baseline(report, baseline.fingerprints)
    return ScanResult(report, exit_code(report, fail_on), top.config, top.path, baseline, unfiltered)


def _cached_report(inputs: list[str | Source], options: ScanOptions, settings: Settings) -> Report:
    paths = [i for i in inputs if isinstance(i, str)]
    texts = [i for i in inputs if isinstance(i, Source)]
    if not options.cache_dir or texts or options.source_dir or options.overlays:  # what the cache key cannot cover
        return _load_and_evaluate(paths, texts, options, settings, None)[0]
    from scanner.loaders.module_cache import ModuleCache
    from scanner.pipeline import report_cache

    cache = ModuleCache(options.cache_dir)
    shape = repr(
        (options.include_unchanged, settings.today.isoformat(), settings.requester, settings.selection,
         options.allow_empty, options.var_files, options.var_args)
    )
    key = report_cache.scan_key(paths, settings.configs, shape, cache, options.var_files)
    cached = report_cache.get(cache, key) if key else None
    if cached is not None:
        return cached
    report, depends = _load_and_evaluate(paths, texts, options, settings, cache)
    if key and report_cache.scan_key(paths, settings.configs, shape, cache, options.var_files) == key:
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
        var_files=options.var_files,
        var_args=options.var_args,
    )
    if options.source_dir:
        from scanner.loaders.source_map import attach_sources

        attach_sources(loaded.documents, options.source_dir)
    report = evaluate(loaded.documents, settings, loaded.errors, loaded.files)
    if stdin_errors:
        report.errors = [ErrorEntry(file=e.file, line=e.line, message=e.message) for e in stdin_errors] + report.errors
        report.summary.incomplete = True
    depends = {k: v for _, doc in loaded.documents for k, v in doc.depends.items()}
    return report, depends
