"""The scan pipeline: loaders -> model -> rules -> findings -> report."""

from __future__ import annotations

import functools
import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.model.nhi_types import nhi_type
from scanner.model.report import (
    UNKNOWN_VALUE,
    AppliedWaiver,
    ErrorEntry,
    Finding,
    InventoryItem,
    Report,
    Summary,
)
from scanner.model.resource import LoadError, Model, Resource
from scanner.model.severity import Severity
from scanner.model.values import Unknown, is_missing
from scanner.policy.config import Config
from scanner.policy.metadata import FIELDS, MetadataResolver
from scanner.policy.redact import Redactor, config_digest, secret_values
from scanner.policy.waivers import WaiverEntry, config_waiver_lines, inline_waivers
from scanner.rules import Context, Rule, Violation, all_rules, get_rule
from scanner.util import progress

if TYPE_CHECKING:
    from scanner.loaders.module_cache import ModuleCache

WAIVER_RULE_ID = "NHI_APR_004"


@dataclass
class ScanOptions:
    include_unchanged: bool = False
    today: date = field(default_factory=date.today)
    config_file: str | None = None
    #: reuse loaded .tf modules from this cache directory (scanner/loaders/module_cache.py); None: no cache
    cache_dir: str | None = None
    #: processes that load .tf modules; None chooses (parallel only for large trees)
    jobs: int | None = 1
    #: root module directory: plan objects take the file and lines of their .tf declaration
    source_dir: str | None = None
    #: who asks for the change (a pull request's author): approving it oneself is NHI_APR_003
    requester: str | None = None
    #: variables files (--var-file) and NAME=VALUE pairs (--var) for every .tf directory scanned
    #: on its own, after its own terraform.tfvars and *.auto.tfvars (scanner/loaders/tfvars.py)
    var_files: list[str] = field(default_factory=list)
    var_args: list[str] = field(default_factory=list)


def _display(path: str) -> str:
    """Paths relative to the working directory when below it, POSIX style."""
    if path.startswith("<"):
        return path
    return _relative(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _relative(path: str, cwd: str) -> str:  # memoised: asked twice per finding (bench/README.md)
    # a file name that is not UTF-8 arrives with surrogate escapes, which no output can encode
    path = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path.replace(os.sep, "/")
    return (path if rel.startswith("..") else rel).replace(os.sep, "/")


def fingerprint(rule_id: str, scope: str, address: str, key: str) -> str:
    # No file name or line: a finding keeps its identity when lines move or a file is renamed.
    raw = "\x1f".join((rule_id, _display(scope), address, key))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def scan(paths: list[str], config: Config, options: ScanOptions | None = None, stdin_text: str | None = None) -> Report:
    options = options or ScanOptions()
    if not options.cache_dir:
        return _scan(paths, config, options, stdin_text, None)[0]
    from scanner.loaders.module_cache import ModuleCache
    from scanner.pipeline import report_cache as scan_cache

    cache = ModuleCache(options.cache_dir)
    key = scan_cache.scan_key(paths, config, options, cache)
    cached = scan_cache.get(cache, key) if key else None
    if cached is not None:
        return cached
    report, depends = _scan(paths, config, options, stdin_text, cache)
    if key and scan_cache.scan_key(paths, config, options, cache) == key:  # no input changed meanwhile
        scan_cache.put(cache, key, report, depends)
    return report


def _scan(
    paths: list[str], config: Config, options: ScanOptions, stdin_text: str | None, cache: ModuleCache | None
) -> tuple[Report, dict[str, str]]:
    """The report, and what the loaders read besides the inputs (scanner/loaders/deps.py)."""
    from scanner.loaders.inputs import load_inputs  # here: a report-cache hit needs no parser

    loaded = load_inputs(
        paths, stdin_text, options.include_unchanged, cache, options.jobs, options.var_files, options.var_args
    )
    if options.source_dir:
        from scanner.loaders.source_map import attach_sources

        attach_sources(loaded.documents, options.source_dir)
    resources: list[Resource] = []
    scopes: dict[int, str] = {}
    secrets: set[str] = set()
    errors: list[LoadError] = list(loaded.errors)
    depends: dict[str, str] = {}
    for scope, doc in loaded.documents:
        for res in doc.resources:
            scopes[id(res)] = scope
        resources.extend(doc.resources)
        errors.extend(doc.errors)
        secrets |= doc.secrets
        depends.update(doc.depends)
    model = Model(resources, scopes)
    for res in resources:
        secrets |= secret_values(res)
    ctx = Context(
        model=model,
        config=config,
        metadata=MetadataResolver(model, config),
        today=options.today,
        requester=options.requester,
    )
    rules = [r for r in all_rules() if r.id not in {d.upper() for d in config.disable}]
    findings: list[Finding] = []
    waivers: list[WaiverEntry] = []
    inline_seen: set[tuple[str, str]] = set()
    # Rules that keep the base applies_to depend on mode and type only: decided once per pair.
    by_kind: dict[tuple[str, str], list[Rule]] = {}
    for done, res in enumerate(resources, 1):
        progress.update("checking resources", done, len(resources))
        if res.context_only:
            continue
        for w in inline_waivers(res):
            w.file = w.scope_file = _display(w.file)
            w.origin = f"{w.file}:{w.line}"
            if (w.origin, w.resource) not in inline_seen:  # plan instances of one block share its comments
                inline_seen.add((w.origin, w.resource))
                waivers.append(w)
        candidates = by_kind.get((res.mode, res.type))
        if candidates is None:
            candidates = by_kind[(res.mode, res.type)] = [
                r for r in rules if type(r).applies_to is not Rule.applies_to or r.applies_to(res)
            ]
        for rule in candidates:
            if type(rule).applies_to is not Rule.applies_to and not rule.applies_to(res):
                continue
            try:
                violations = list(rule.check(res, ctx))
            except Exception as exc:  # noqa: BLE001 - a rule bug must not end the scan silently
                errors.append(
                    LoadError(
                        _display(res.file),
                        res.line,
                        f"internal error in rule {rule.id} on {res.address}: {type(exc).__name__}",
                    )
                )
                continue
            for v in violations:
                findings.append(_finding(rule, v, res, model.scope(res), config))
    config_lines = _config_waiver_lines(options.config_file)
    for i, cw in enumerate(config.waivers):
        origin = _display(options.config_file or "config")
        line = config_lines[i] if i < len(config_lines) else 1
        waivers.append(
            WaiverEntry(
                rules=[cw.rule.upper()],
                resource=cw.resource,
                reason=cw.reason,
                owner=cw.owner,
                expires=cw.expires,
                origin=f"{origin}:{line}",
                file=origin,
                line=line,
            )
        )
    findings = _apply_waivers(findings, waivers, options.today, config)
    first_line: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.file, f.resource)
        first_line[key] = min(first_line.get(key, f.line), f.line)
    findings.sort(
        key=lambda f: (
            f.file,
            first_line[(f.file, f.resource)],
            f.resource,
            -Severity(f.severity).rank,
            f.rule_id,
            f.line,
            f.message,
        )
    )
    report = Report(
        findings=findings,
        errors=[
            ErrorEntry(file=_display(e.file), line=e.line, message=e.message)
            for e in sorted(errors, key=lambda e: (e.file, e.line or 0))
        ],
        inventory=_inventory(resources, ctx, secrets),
        waivers=[
            AppliedWaiver(
                rule_id=",".join(w.rules),
                resource=w.resource,
                reason=w.reason or "",
                owner=w.owner or "",
                expires=w.expires.isoformat() if w.expires else "",
                origin=w.origin,
                suppressed=w.suppressed,
            )
            for w in waivers
            if w.suppressed
        ],
    )
    report.summary = _summary(report, loaded.files, sum(not r.context_only for r in resources))
    return Redactor(secrets).report(report), depends


def _finding(rule: Rule | type[Rule], v: Violation, res: Resource, scope: str, config: Config) -> Finding:
    severity = config.severity.get(rule.id) or v.severity or rule.severity
    return Finding(
        rule_id=rule.id,
        category=rule.category,
        severity=severity,
        title=rule.title,
        message=v.message,
        remediation=rule.fix,
        resource=res.address,
        resource_type=res.type,
        file=_display(res.file),
        line=res.line_of(v.path),
        fingerprint=fingerprint(rule.id, scope, res.address, v.key or v.path or ""),
        help_uri=rule.help_uri(),
    )


def _apply_waivers(findings: list[Finding], waivers: list[WaiverEntry], today: date, config: Config) -> list[Finding]:
    kept: list[Finding] = []
    valid = [w for w in waivers if not w.problems(today)]
    for f in findings:
        match = next((w for w in valid if w.matches(f.rule_id, f.resource, f.file)), None)
        if match is None:
            kept.append(f)
        else:
            match.suppressed += 1
    rule = get_rule(WAIVER_RULE_ID)
    if rule is None or WAIVER_RULE_ID in {d.upper() for d in config.disable}:
        return kept
    for w in waivers:
        problems = w.problems(today)
        if not problems:
            continue
        res = Resource(address=w.resource, mode="waiver", type="waiver", name="", attrs={}, file=w.file, line=w.line)
        what = ", ".join(w.rules) or "no rule"
        inline = w.scope_file is not None
        v = Violation(
            f"waiver for {what} on {w.resource} has {' and '.join(problems)}; it suppresses nothing",
            key=f"{what}@{'inline' if inline else 'config'}",
        )
        # Scope like a module: the directory, so renaming the file keeps the fingerprint.
        kept.append(_finding(rule, v, res, scope_of(w.file) if inline else "config", config))
    return kept


def _field(value: object) -> str | None:
    if isinstance(value, Unknown):
        return UNKNOWN_VALUE
    if is_missing(value):
        return None
    return str(value)


def _inventory(resources: list[Resource], ctx: Context, secrets: set[str]) -> list[InventoryItem]:
    items = []
    for res in resources:
        spec = nhi_type(res.type)
        if spec is None or res.mode != "managed" or res.context_only:
            continue
        meta = ctx.meta(res) if spec.governed else None
        values = {name: _field(meta.get(name)) if meta else None for name in FIELDS}
        if spec.expiry and values["expires"] in (None, UNKNOWN_VALUE):
            # a known native end date beats an unknown `expires` tag (`tags = var.tags`)
            natives = [res.get(a) for a in spec.expiry if not is_missing(res.get(a))]
            known = next((v for v in natives if not isinstance(v, Unknown)), None)
            if known is not None or values["expires"] is None:
                values["expires"] = _field(known if known is not None else next(iter(natives), None))
        items.append(
            InventoryItem(
                resource=res.address,
                resource_type=res.type,
                kind=spec.kind,
                file=_display(res.file),
                line=res.line,
                action=res.action,
                digest=config_digest(res.attrs, secrets, res.sensitive_paths),
                **values,
            )
        )
    return items


def _summary(report: Report, files: int, resources: int) -> Summary:
    sev = Counter(str(f.severity) for f in report.findings)
    cat = Counter(str(f.category) for f in report.findings)
    return Summary(
        total=len(report.findings),
        by_severity={s.value: sev.get(s.value, 0) for s in Severity},
        by_category=dict(sorted(cat.items())),
        files_scanned=files,
        resources_scanned=resources,
        suppressed=sum(w.suppressed for w in report.waivers),
        incomplete=bool(report.errors),
    )


def exit_code(report: Report, fail_on: Severity) -> int:
    if report.errors:
        return 2
    return 1 if any(Severity(f.severity).rank >= fail_on.rank for f in report.findings) else 0


def _config_waiver_lines(path: str | None) -> list[int]:
    if not path:
        return []
    try:
        return config_waiver_lines(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def scope_of(path: str) -> str:
    return str(Path(path).parent)
