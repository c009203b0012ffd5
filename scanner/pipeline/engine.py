"""The scan pipeline after loading: model -> rules -> findings -> waivers -> report, redacted.

The loaders (scanner/loaders/) turn inputs into documents; :func:`evaluate` turns documents
into a report. What surrounds it (config discovery, cache, baseline, exit codes) belongs to the
entry point, scanner/api/.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from scanner.model.report import AppliedWaiver, ErrorEntry, Finding, Report, Summary, WaivedRule
from scanner.model.resource import Document, LoadError, Model, Resource
from scanner.model.severity import Severity
from scanner.pipeline.checking import Approvals, Contexts, check
from scanner.pipeline.findings import display_path, make_finding, scope_of, sort_findings
from scanner.pipeline.inventory import inventory
from scanner.pipeline.provenance import ProvenanceRequest, provenance
from scanner.policy.config import Configs
from scanner.policy.redact import Redactor, labels_of, secret_values, with_derived
from scanner.policy.selection import Selection
from scanner.policy.waivers import WaiverEntry, apply_waivers, config_waivers
from scanner.rules import Violation, get_rule

WAIVER_RULE_ID = "NHI_APR_004"


@dataclass
class Settings:
    """What shapes a report besides its inputs (the entry point fills it from its options)."""

    configs: Configs = field(default_factory=Configs)
    today: date = field(default_factory=date.today)
    #: who asks for the change being scanned (a pull request's author): approving it oneself is NHI_APR_003
    requester: str | None = None
    #: ``select`` / ``ignore`` on top of each config's (scanner/policy/selection.py)
    selection: Selection = field(default_factory=Selection)
    #: the approval ledgers, the pull request's reviews and team members the approval rules check
    approvals: Approvals = field(default_factory=Approvals)


def evaluate(
    documents: list[tuple[str, Document]],
    settings: Settings,
    errors: list[LoadError] | None = None,
    files: int = 0,
    secrets: set[str] | None = None,
    record: ProvenanceRequest | None = None,
) -> Report:
    """The redacted report of loaded documents (``scope``, document); ``errors`` are the loaders'.
    With ``record``, the report's provenance names the inputs with their digests."""
    resources: list[Resource] = []
    scopes: dict[int, str] = {}
    errors = list(errors or [])
    secrets = set(secrets or ())
    deleted: list[Resource] = []
    for scope, doc in documents:
        for res in (*doc.resources, *doc.deleted):
            scopes[id(res)] = scope
        resources.extend(doc.resources)
        deleted.extend(doc.deleted)
        errors.extend(doc.errors)
        secrets |= doc.secrets
    for res in (*resources, *deleted):
        secrets |= secret_values(res)
    secrets = with_derived(secrets)
    model = Model(resources, scopes, deleted)
    contexts = Contexts(
        model,
        settings.configs,
        settings.today,
        settings.requester,
        settings.selection,
        frozenset(secrets),
        settings.approvals,
    )
    checked = check(resources, len(resources), contexts, deleted)
    errors.extend(checked.errors)

    waivers = list(checked.waivers)
    for cf in settings.configs.used():
        waivers += config_waivers(cf.config, cf.path, display_path(cf.path) if cf.path else "config")
    governing = checked.governing

    def config_path_of(f: Finding) -> str:
        cf = governing.get(id(f))
        return (cf.path or "") if cf is not None else ""

    waived: dict[tuple[str, str], list[WaivedRule]] = {}

    def note_waived(f: Finding, w: WaiverEntry) -> None:
        entry = WaivedRule(
            rule_id=f.rule_id,
            origin=w.origin,
            owner=w.owner or "",
            expires=w.expires.isoformat() if w.expires else "",
            reason=w.reason or "",
        )
        if entry not in waived.setdefault((f.file, f.resource), []):
            waived[(f.file, f.resource)].append(entry)

    findings = apply_waivers(checked.findings, waivers, settings.today, config_path_of, note_waived)
    findings += _bad_waivers(waivers, settings)
    sort_findings(findings)
    report = Report(
        findings=findings,
        errors=[
            ErrorEntry(file=display_path(e.file), line=e.line, message=e.message)
            for e in sorted(errors, key=lambda e: (e.file, e.line or 0))
        ],
        inventory=inventory(resources, lambda res: contexts.of(res.file)[1], secrets, waived),
        waivers=[_applied(w) for w in waivers if w.suppressed],
    )
    # the objects a plan destroys were judged too (NHI_SOD_051): "2 findings in 0 resources" read as a bug
    report.summary = summarise(report, files, sum(not r.context_only for r in resources) + len(deleted))
    report = Redactor(secrets, lambda has_secret: labels_of(resources, has_secret)).report(report)
    if record is not None:  # after redaction: digests and names carry no secret, and are not scrubbed
        report.provenance = provenance(
            record, secrets, settings.today.isoformat(), settings.requester, settings.approvals
        )
    return report


def _bad_waivers(waivers: list[WaiverEntry], settings: Settings) -> list[Finding]:
    """An incomplete or expired waiver suppresses nothing and is a finding of its own (NHI_APR_004)."""
    rule = get_rule(WAIVER_RULE_ID)
    out: list[Finding] = []
    if rule is None:
        return out
    for w in waivers:
        problems = w.problems(settings.today)
        if not problems:
            continue
        inline = w.scope_file is not None
        cf = settings.configs.for_input(w.file) if inline else settings.configs.by_path(w.config_path or "")
        if not settings.selection.enabled(WAIVER_RULE_ID, cf.config.select, cf.config.disable):
            continue
        res = Resource(address=w.resource, mode="waiver", type="waiver", name="", attrs={}, file=w.file, line=w.line)
        what = ", ".join(w.rules) or "no rule"
        v = Violation(
            f"waiver for {what} on {w.resource} has {' and '.join(problems)}; it suppresses nothing",
            key=f"{what}@{'inline' if inline else 'config'}",
        )
        # Scope like a module: the directory, so renaming the file keeps the fingerprint.
        out.append(make_finding(rule, v, res, scope_of(w.file) if inline else "config", cf.config))
    return out


def _applied(w: WaiverEntry) -> AppliedWaiver:
    return AppliedWaiver(
        rule_id=",".join(w.rules),
        resource=w.resource,
        reason=w.reason or "",
        owner=w.owner or "",
        expires=w.expires.isoformat() if w.expires else "",
        origin=w.origin,
        suppressed=w.suppressed,
    )


def summarise(report: Report, files: int, resources: int) -> Summary:
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
