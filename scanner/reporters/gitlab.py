"""GitLab Code Quality (``artifacts:reports:codequality``): a JSON array of issues.

Each finding is one issue with the fields GitLab reads: ``description``, ``check_name`` (the rule
ID), ``fingerprint``, ``severity`` and ``location.path`` / ``location.lines.begin``, plus the Code
Climate ``type`` and ``categories``. Severities map as Trivy's GitLab template maps them:
critical -> critical, high -> major, medium -> minor, low -> info.

GitLab shows only the first issue of a fingerprint and compares a merge request's issues with
the target branch's by fingerprint, so the finding's line-independent fingerprint is used, and
made unique within the report should two findings share one. Input errors are not issues (the
job's exit code 2 and its log report them). Text from scanned code goes through
:func:`~scanner.reporters.plain.inert`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from scanner.model.report import Finding, Report
from scanner.reporters.plain import inert

SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "info"}


def render(report: Report, color: bool = False) -> str:
    seen: set[str] = set()
    issues = [_issue(f, _unique(f.fingerprint, seen)) for f in report.findings]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _unique(fingerprint: str, seen: set[str]) -> str:
    candidate, n = fingerprint, 1
    while candidate in seen:
        n += 1
        candidate = hashlib.sha256(f"{fingerprint}:{n}".encode()).hexdigest()[:32]
    seen.add(candidate)
    return candidate


def _issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    message = f.message.rstrip()
    sep = " " if message.endswith((".", "!", "?")) else ". "
    return {
        "type": "issue",
        "check_name": f.rule_id,
        "description": inert(f"{f.rule_id}: {message}{sep}Fix: {f.remediation}"),
        "categories": ["Security"],
        "severity": SEVERITY[str(f.severity)],
        "fingerprint": fingerprint,
        "location": {"path": f.file.replace("\\", "/"), "lines": {"begin": max(f.line, 1)}},
    }
