"""The evidence record: an in-toto Statement v1 of who requested, approved and executes each
identity, what it can do, and what each of those was verified against (docs/evidence.md).

* ``subject``: the scanned inputs with their sha256 (a file holding a secret of the scan is
  listed in ``predicate.inputsWithheld`` instead: its digest would be derived from the secret);
* ``predicateType``: :data:`PREDICATE_TYPE`, defined by docs/evidence.md;
* ``predicate``: the scan (tool, date, requester, result), what it was checked against (reviews,
  ledgers, teams, each with a digest) and one entry per identity, credential and secret.

Built from the report alone, which is redacted before any reporter sees it: no secret, and no
digest of one, can reach the record. Written by hand rather than with the ``in-toto-attestation``
package: that package builds statements through protobuf, a compiled dependency the Action would
have to pin for every runner platform, for a document of four keys; tests/test_evidence.py checks
the statement's shape as the in-toto Statement v1 specification defines it instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from scanner.model.report import ApprovalRecord, InventoryItem, Report

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://github.com/nhi-guard/nhi-guard/blob/main/docs/evidence.md#predicate-v1"


def render(report: Report, color: bool = False) -> str:
    del color
    return json.dumps(statement(report), indent=2, ensure_ascii=False) + "\n"


def statement(report: Report) -> dict[str, Any]:
    prov = report.provenance
    predicate = _predicate(report)
    subjects = [
        {"name": i.file, "digest": {"sha256": i.sha256}} for i in (prov.inputs if prov else []) if i.sha256
    ]
    if not subjects:
        # in-toto needs a subject: with every input withheld (or none recorded), the record names itself
        canonical = json.dumps(predicate, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        subjects = [{"name": "nhi-guard-predicate", "digest": {"sha256": _sha256(canonical)}}]
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE, "predicate": predicate}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _predicate(report: Report) -> dict[str, Any]:
    prov = report.provenance
    summary = report.summary
    out: dict[str, Any] = {
        "tool": {"name": report.tool.name, "version": report.tool.version},
        "scannedOn": prov.today if prov else None,
        "requester": prov.requester if prov else None,
        "result": {
            "findings": summary.total,
            "bySeverity": summary.by_severity,
            "waived": summary.suppressed,
            "preexisting": summary.preexisting,
            "incomplete": summary.incomplete,
            "inputErrors": [f"{e.file}:{e.line}" if e.line else e.file for e in report.errors],
        },
        "inputsWithheld": [i.file for i in (prov.inputs if prov else []) if not i.sha256],
        "verifiedAgainst": _materials(report),
        "identities": [_identity(item, report) for item in report.inventory if item.kind != "grant"],
    }
    return out


def _materials(report: Report) -> dict[str, Any]:
    prov = report.provenance
    if prov is None:
        return {"reviews": None, "ledgers": [], "teams": {}, "unresolvedTeams": {}}
    reviews = None
    if prov.reviews is not None:
        reviews = {"source": prov.reviews.file, "sha256": prov.reviews.sha256, "reviews": prov.reviews_count}
        if prov.reviews_unavailable:
            reviews["unavailable"] = prov.reviews_unavailable
        if prov.reviews_head:  # which commit the approvals had to be of: an approval of another is stale
            reviews["head"] = prov.reviews_head
    return {
        "reviews": reviews,
        "ledgers": [{"file": ledger.file, "sha256": ledger.sha256} for ledger in prov.ledgers],
        "teams": prov.teams,
        "unresolvedTeams": prov.unresolved_teams,
    }


def _identity(item: InventoryItem, report: Report) -> dict[str, Any]:
    approval = item.approval
    findings = [f for f in report.findings if f.resource == item.resource and f.file == item.file]
    return {
        "address": item.resource,
        "type": item.resource_type,
        "kind": item.kind,
        "file": item.file,
        "line": item.line,
        "action": item.action,
        "owner": item.owner,
        "requester": item.requested_by,
        "approvers": [_approver(approval)] if approval and approval.approver else [],
        "provisioner": approval.provisioner if approval else [],
        "ticket": item.change_ticket,
        "grants": item.grants,
        "grantsDigest": item.grants_digest,
        "grantsUnknown": item.grants_unknown,
        "expires": item.expires,
        "approval": _approval(approval),
        "waiversApplied": [w.model_dump() for w in item.waived],
        "verification": _verification(item, approval, report),
        "findings": [{"ruleId": f.rule_id, "severity": str(f.severity), "message": f.message} for f in findings],
    }


def _approver(approval: ApprovalRecord) -> dict[str, Any]:
    a = approval.approver
    assert a is not None
    out: dict[str, Any] = {"name": a.name, "verified": a.verified, "reviewState": a.state}
    if a.review_id is not None:
        out.update({"login": a.login, "reviewId": a.review_id, "submittedAt": a.submitted_at, "commitId": a.commit_id})
    return out


def _approval(approval: ApprovalRecord | None) -> dict[str, Any] | None:
    if approval is None:
        return None
    return {
        "source": approval.source,
        "ledgerEntry": approval.ledger,
        "approvedOn": approval.approved_on,
        "expires": approval.expires,
        "expired": approval.expired,
        "approvedGrantsDigest": approval.approved_grants_digest,
    }


def _verification(item: InventoryItem, approval: ApprovalRecord | None, report: Report) -> list[dict[str, Any]]:
    """What was verified against what, and the outcome: one entry per check."""
    if approval is None:
        return []
    prov = report.provenance
    checks: list[dict[str, Any]] = []
    if approval.source == "ledger":
        checks.append({
            "check": "grants are the approved grants",
            "against": f"approval ledger entry {approval.ledger}",
            "result": "match" if approval.grants_match else "changed",
        })
        checks.append({
            "check": "approval has not expired",
            "against": f"scan date {prov.today}" if prov else "scan date",
            "result": "expired" if approval.expired else "valid",
        })
    else:
        checks.append({
            "check": "grants are the approved grants",
            "against": None,
            "result": "not bound: the approval is in tags, not in the approval ledger",
        })
    a = approval.approver
    if a is not None:
        source = prov.reviews.file if prov and prov.reviews else None
        if a.verified is None:
            result = "not checked: no pull request reviews were given"
        elif a.state == "requester":
            result = "is the requester: does not count"
        elif a.review_id is not None:
            result = f"{a.state} (review {a.review_id} by {a.login}, {a.submitted_at})"
        else:
            result = str(a.state)
        checks.append({"check": f"{a.name} approved the pull request", "against": source, "result": result})
    failed = {f.rule_id for f in report.findings if f.resource == item.resource and f.file == item.file}
    waived = {w.rule_id: w for w in item.waived}
    for rule_id, check in _RULE_CHECKS:
        if rule_id in approval.rules_disabled:
            result = "not checked: the rule is disabled in the config"
        elif rule_id in waived:
            result = f"waived ({waived[rule_id].origin}, until {waived[rule_id].expires})"
        else:
            result = "fail" if rule_id in failed else "pass"
        checks.append({"check": check, "against": "nhi-guard " + rule_id, "result": result})
    return checks


#: approval rules whose outcome the record states for every identity
_RULE_CHECKS = (
    ("NHI_APR_001", "an approver is named"),
    ("NHI_APR_002", "a change ticket is named"),
    ("NHI_APR_003", "the approver is not the requester"),
    ("NHI_APR_008", "the approver is a person, not a placeholder"),
    ("NHI_APR_009", "the approver may approve this identity"),
    ("NHI_APR_010", "the provisioner neither requested nor approved it"),
)
