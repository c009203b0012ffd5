"""Findings as the report holds them: display paths, fingerprints, order."""

from __future__ import annotations

import hashlib
from pathlib import Path

from scanner.model.report import Finding, RelatedLocation
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.policy.config import Config
from scanner.rules import Rule, Violation
from scanner.util.paths import display_path

__all__ = ["display_path", "fingerprint", "make_finding", "scope_of", "sort_findings"]


def scope_of(path: str) -> str:
    """A module's scope: its directory, so renaming a file keeps the fingerprints."""
    return str(Path(path).parent)


def fingerprint(rule_id: str, scope: str, address: str, key: str) -> str:
    # No file name or line: a finding keeps its identity when lines move or a file is renamed.
    raw = "\x1f".join((rule_id, display_path(scope), address, key))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def make_finding(rule: Rule, v: Violation, res: Resource, scope: str, config: Config) -> Finding:
    """The finding of one violation; ``config`` is the one that governs the resource's file."""
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
        file=display_path(res.file),
        line=res.line_of(v.path),
        fingerprint=fingerprint(rule.id, scope, res.address, v.key or v.path or ""),
        help_uri=rule.help_uri(),
        related=[
            RelatedLocation(file=display_path(other.file), line=other.line, resource=other.address, message=note)
            for other, note in v.related
            if other is not res and other.file
        ]
        # where the value was written, when outside the block: a reusable module's default, a
        # module call's argument (scanner/loaders/hcl.py)
        + [
            RelatedLocation(
                file=display_path(file), line=line, resource=res.address, message=f"the value comes from {note}"
            )
            for file, line, note in res.origins_of(v.path)
        ],
    )


def sort_findings(findings: list[Finding]) -> None:
    """By file, then resources in the order they appear, the worst first within a resource."""
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
