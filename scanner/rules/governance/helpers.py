"""Shared helpers for rules that read ownership, approval and expiry metadata."""

from __future__ import annotations

from scanner.model.nhi_types import CATALOGUE, nhi_type
from scanner.model.resource import Resource
from scanner.model.values import MISSING
from scanner.policy.metadata import Metadata

GOVERNED_TYPES = tuple(sorted(t for t, spec in CATALOGUE.items() if spec.governed))


def reportable_gap(meta: Metadata, name: str) -> bool:
    """A field is missing and this resource is where it must be fixed.

    A credential that inherits from an identity in the same scan is not flagged
    for the identity's gaps: the identity carries the finding, once.
    """
    return meta.get(name) is MISSING and not meta.source


def inherited(meta: Metadata, name: str) -> bool:
    """The field's value comes from the identity this credential belongs to.

    A finding about that value (a ticket that does not match ``ticket_pattern``, a self-approval,
    an expiry date already past) is reported on the identity, where it is written and where the
    same rule runs, and not again on each credential.
    """
    return name in meta.inherited


def kind_of(res: Resource) -> str:
    spec = nhi_type(res.type)
    return spec.kind if spec else "resource"


def meta_hint(res: Resource) -> str:
    """Where the author should put metadata for this type."""
    spec = nhi_type(res.type)
    if spec is None:
        return "tags"
    if spec.parent and not spec.meta and not spec.text_meta:
        return f"the tags of the {spec.parent[1][0]} it belongs to"
    if spec.meta:
        return " / ".join(dict.fromkeys(p.replace("_all", "").replace("effective_", "") for p in spec.meta))
    return "key=value pairs in " + " / ".join(spec.text_meta)
