"""What a scan read, with digests, and what its approvals were checked against.

The evidence record (scanner/reporters/evidence.py) names the scanned inputs as its subjects. A
file that holds a secret of the scan (a literal password, a plan's sensitive values, which
``terraform show -json`` prints in clear) gets no digest: a hash of it would be derived from the
secret. It is listed with ``sha256: null`` instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model.report import InputDigest, Provenance
from scanner.pipeline.checking import Approvals
from scanner.policy.redact import Redactor
from scanner.util.paths import display_path


@dataclass
class InputRef:
    """One input: a file on disk (``path``) or a text that is not (``text``: stdin, an editor buffer)."""

    name: str
    path: str | None = None
    text: str | None = None


@dataclass
class ProvenanceRequest:
    """What the entry point knows of the scan, for :func:`provenance`."""

    inputs: list[InputRef] = field(default_factory=list)


def provenance(
    request: ProvenanceRequest,
    secrets: set[str],
    today: str,
    requester: str | None,
    approvals: Approvals,
) -> Provenance:
    matcher = Redactor(secrets)
    short = [s for s in secrets if s and len(s) < 6]  # the redactor matches only longer ones inside text
    inputs: list[InputDigest] = []
    seen: set[str] = set()
    for ref in request.inputs:
        name = display_path(ref.name) if not ref.name.startswith("<") else ref.name
        if name in seen:
            continue
        seen.add(name)
        data = _read(ref)
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        holds_secret = any(s in text for s in short) or (
            matcher.pattern is not None and matcher.pattern.search(text) is not None
        )
        inputs.append(InputDigest(file=name, sha256=None if holds_secret else hashlib.sha256(data).hexdigest()))
    ledgers = approvals.ledgers.used() if approvals.ledgers is not None else []
    reviews, teams = approvals.reviews, approvals.teams
    return Provenance(
        inputs=inputs,
        today=today,
        requester=requester,
        reviews=InputDigest(file=reviews.source, sha256=reviews.sha256) if reviews is not None else None,
        reviews_count=len(reviews.items) if reviews is not None else 0,
        reviews_unavailable=reviews.unavailable if reviews is not None else None,
        reviews_head=reviews.head if reviews is not None else None,
        ledgers=[
            InputDigest(file=display_path(str(ledger.path)), sha256=hashlib.sha256(ledger.raw).hexdigest())
            for ledger in ledgers
            if ledger.raw
        ],
        teams={k: sorted(v) for k, v in sorted(teams.members.items())} if teams is not None else {},
        unresolved_teams=dict(sorted(teams.unresolved.items())) if teams is not None else {},
    )


def _read(ref: InputRef) -> bytes | None:
    if ref.text is not None:
        return ref.text.encode("utf-8", "surrogatepass")
    if ref.path is None:
        return None
    try:
        return Path(ref.path).read_bytes()
    except OSError:
        return None  # the loaders report it as an input error
