"""New-only mode: hide findings that a previous report already had (``--baseline old.json``).

A finding is pre-existing when its fingerprint is in the baseline. Fingerprints hold the rule,
the module directory (or plan or answer file), the resource address and the problem, and no file
name or line, so a finding keeps its fingerprint when its block moves, its file is renamed or
the files of a module are reordered. The report keeps the hidden count in
``summary.preexisting``; its inventory and waivers are left whole.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model.report import InventoryItem, Report
from scanner.model.severity import Severity

#: a baseline larger than this is not read (a JSON report of 100,000 findings is about 60 MiB)
MAX_BASELINE_BYTES = 256 * 1024 * 1024


class BaselineError(Exception):
    """A baseline that cannot be used; the message names the file."""


@dataclass
class Baseline:
    fingerprints: set[str] = field(default_factory=set)
    inventory: list[InventoryItem] = field(default_factory=list)


def load_baseline(path: str | Path) -> Baseline:
    """Fingerprints (and inventory) of a ``--format json`` report."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_BASELINE_BYTES:
        raise BaselineError(f"{path}: baseline is larger than {MAX_BASELINE_BYTES // 2**20} MiB")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BaselineError(f"{path}: baseline is not JSON; use a report from `nhi-guard scan --format json`") from None
    return parse_baseline(doc, str(path))


def parse_baseline(doc: Any, where: str = "baseline") -> Baseline:
    findings = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(findings, list):
        raise BaselineError(
            f"{where}: not an nhi-guard JSON report (no findings list); use `nhi-guard scan --format json`"
        )
    out = Baseline()
    for f in findings:
        fp = f.get("fingerprint") if isinstance(f, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(
                f"{where}: a finding has no fingerprint; use a report from `nhi-guard scan --format json`"
            )
        out.fingerprints.add(fp)
    for item in doc.get("inventory") or []:
        try:
            out.inventory.append(InventoryItem.model_validate(item))
        except ValueError:  # an inventory from another version: only the fingerprints matter
            continue
    return out


def apply_baseline(report: Report, fingerprints: Iterable[str]) -> Report:
    """A copy of ``report`` without the findings whose fingerprint is in ``fingerprints``."""
    known = set(fingerprints)
    kept = [f for f in report.findings if f.fingerprint not in known]
    out = report.model_copy(deep=True)
    out.findings = [f.model_copy() for f in kept]
    summary = out.summary
    sev = Counter(str(f.severity) for f in kept)
    cat = Counter(str(f.category) for f in kept)
    summary.preexisting = report.summary.preexisting + len(report.findings) - len(kept)
    summary.total = len(kept)
    summary.by_severity = {s.value: sev.get(s.value, 0) for s in Severity}
    summary.by_category = dict(sorted(cat.items()))
    return out
