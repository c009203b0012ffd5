"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run. ``tool.driver.rules`` lists every rule of the registry, so alerts keep their rule
metadata even for rules that did not fire. Paths are relative to ``%SRCROOT%`` (the directory
the scan ran from, normally the repository root); ``partialFingerprints["nhiGuard/v1"]`` is the
finding's line-independent fingerprint, so GitHub tracks an alert across moved lines.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model.report import ErrorEntry, Finding, RelatedLocation, Report
from scanner.model.severity import Severity
from scanner.rules import Rule, all_rules
from scanner.rules.catalogue_docs import rule_sections

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/nhi-guard/nhi-guard"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "nhiGuard/v1"

#: GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9)
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
DEFAULT_PRECISION = "high"


def render(report: Report, color: bool = False) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    rules = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    by_rule: dict[str, set[str]] = defaultdict(set)
    for f in report.findings:
        by_rule[f.rule_id].add(str(f.severity))
    descriptors = [_descriptor(r, by_rule.get(r.id)) for r in rules]
    for f in report.findings:  # a finding from a rule the registry no longer has: still a valid log
        if f.rule_id not in index:
            index[f.rule_id] = len(descriptors)
            descriptors.append(_orphan_descriptor(f))
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [_notification(e) for e in report.errors]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nhi-guard",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.rule_id]) for f in report.findings],
                "properties": {
                    "filesScanned": report.summary.files_scanned,
                    "resourcesScanned": report.summary.resources_scanned,
                    "suppressed": report.summary.suppressed,
                    "preexisting": report.summary.preexisting,
                    "incomplete": report.summary.incomplete,
                },
            }
        ],
    }


def _descriptor(rule: Rule, seen: set[str] | None) -> dict[str, Any]:
    # GitHub takes an alert's severity from the rule, not the result. When every finding of this
    # rule carries one severity (e.g. a `[severity]` override in the config), describe the rule so.
    severity = next(iter(seen)) if seen and len(seen) == 1 else str(rule.severity)
    level = LEVEL[severity]
    doc = rule.doc()
    what = _plain(rule_sections(doc).get("What it does", "")) or rule.title
    family = rule.id.split("_")[1].lower()
    return {
        "id": rule.id,
        "name": type(rule).__name__,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": what},
        "help": {
            "text": f"{doc}\n\nFix: {rule.fix}\n\nDocumentation: {rule.help_uri()}".strip(),
            "markdown": f"{doc}\n\n**Fix:** {rule.fix}\n\n[Documentation]({rule.help_uri()})".strip(),
        },
        "helpUri": rule.help_uri(),
        "defaultConfiguration": {"level": level},
        "properties": {
            "category": str(rule.category),
            "tags": ["security", "non-human-identity", str(rule.category), family],
            "security-severity": SECURITY_SEVERITY[severity],
            "problem.severity": PROBLEM_SEVERITY[level],
            "precision": str(getattr(rule, "precision", DEFAULT_PRECISION)),
        },
    }


def _orphan_descriptor(f: Finding) -> dict[str, Any]:
    severity = str(f.severity)
    return {
        "id": f.rule_id,
        "shortDescription": {"text": f.title},
        "helpUri": f.help_uri,
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "category": str(f.category),
            "tags": ["security", "non-human-identity", str(f.category)],
            "security-severity": SECURITY_SEVERITY[severity],
            "precision": DEFAULT_PRECISION,
        },
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    severity = Severity(f.severity).value
    message = f.message.rstrip()
    sep = " " if message.endswith((".", "!", "?")) else ". "
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[severity],
        "message": {"text": f"{message}{sep}Fix: {f.remediation}"},
        "locations": [_location(f.file, f.line, f.resource)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        **({"relatedLocations": [_related(i, r) for i, r in enumerate(f.related, 1)]} if f.related else {}),
        "properties": {
            "severity": severity,
            "category": str(f.category),
            "resourceType": f.resource_type,
        },
    }
    return result


def _related(index: int, r: RelatedLocation) -> dict[str, Any]:
    return {"id": index, **_location(r.file, r.line, r.resource), "message": {"text": f"{r.message} ({r.resource})"}}


def _location(file: str, line: int | None, resource: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {}
    artifact = artifact_location(file)
    if artifact is not None:
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if line:
            physical["region"] = {"startLine": line}
        loc["physicalLocation"] = physical
    if resource:
        loc["logicalLocations"] = [{"fullyQualifiedName": resource, "kind": "resource"}]
    return loc


def _notification(e: ErrorEntry) -> dict[str, Any]:
    where = f"{e.file}:{e.line}" if e.line else e.file
    note: dict[str, Any] = {"level": "error", "message": {"text": f"{where}: {e.message}"}}
    loc = _location(e.file, e.line)
    if loc:  # stdin and other pseudo files have no URI; the text still names them
        note["locations"] = [loc]
    return note


_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")


def artifact_location(file: str) -> dict[str, str] | None:
    """A relative path becomes a ``%SRCROOT%``-relative URI; an absolute one a ``file:`` URI."""
    if not file or file.startswith("<"):
        return None
    if _WINDOWS_ABS.match(file):
        return {"uri": PureWindowsPath(file).as_uri()}
    posix = file.replace("\\", "/")
    if posix.startswith("/"):
        return {"uri": PurePosixPath(posix).as_uri()}
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe="/-._~!$&'()*+,;=@"), "uriBaseId": SRCROOT}


def _plain(markdown: str) -> str:
    """One paragraph of plain text from a docs section (code fences dropped)."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return " ".join(text.split())
