"""Resolve an NHI's owner, expiry and approval metadata, with inheritance.

Each field is three-valued: a known string, MISSING, or Unknown. A field is
unknown when a metadata source it could come from is unknown (``tags =
var.tags``), so an unresolvable value never turns into a "missing" finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scanner.model.nhi_types import NhiType, nhi_type
from scanner.model.resource import Model, Resource
from scanner.model.values import MISSING, Unknown, as_list, is_known, is_open, is_unknown, norm_key
from scanner.policy.config import Config

FIELDS = ("owner", "expires", "approved_by", "requested_by", "change_ticket")
_PAIR_RE = re.compile(r"([A-Za-z][\w.\-/]*)\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s;,]+)")


@dataclass
class Metadata:
    owner: Any = MISSING
    expires: Any = MISSING
    approved_by: Any = MISSING
    requested_by: Any = MISSING
    change_ticket: Any = MISSING
    #: the identity this credential inherits from (its address), when it is in the scan
    source: str = ""
    #: the fields whose value came from ``source``: a finding about such a value belongs to the
    #: identity, which carries it once, not to each of its credentials
    inherited: frozenset[str] = frozenset()

    def get(self, name: str) -> Any:
        return getattr(self, name)


def parse_pairs(text: str) -> dict[str, str]:
    """``owner=team-a; ticket=CHG-1`` -> {"owner": "team-a", "ticket": "CHG-1"}."""
    return {m.group(1): m.group(2).strip("\"'") for m in _PAIR_RE.finditer(text)}


def parse_date(value: Any) -> date | None:
    """An ISO 8601 date or timestamp, or None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


#: how each kind of metadata attribute is read: (key, value) pairs, and whether part of it is unknown
Pairs = tuple[list[tuple[str, Any]], bool]


def _map_pairs(value: Any) -> Pairs:
    """Tags and labels: a map."""
    if is_unknown(value) or is_open(value):  # a reusable module's `tags = var.tags` (default {}): any key may come
        return [], True
    return ([(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []), False


def _text_pairs(value: Any) -> Pairs:
    """A description: ``key=value`` pairs in free text."""
    if is_unknown(value) or is_open(value):
        return [], True
    return (list(parse_pairs(value).items()) if isinstance(value, str) else []), False


def _list_pairs(value: Any) -> Pairs:
    """A list of ``key=value`` strings (the `tags` of Entra ID applications and service principals)."""
    pairs: list[tuple[str, Any]] = []
    unknown = is_unknown(value) or is_open(value)
    for item in as_list(value):
        if isinstance(item, str):
            pairs += parse_pairs(item).items()
        elif is_unknown(item):
            unknown = True
    return pairs, unknown


class MetadataResolver:
    def __init__(self, model: Model, config: Config) -> None:
        self.model = model
        self.config = config
        self._keys = {f: {norm_key(k) for k in getattr(config.keys, f)} for f in FIELDS}
        self._cache: dict[int, Metadata] = {}

    def resolve(self, res: Resource, depth: int = 0) -> Metadata:
        cached = self._cache.get(id(res))
        if cached is not None:
            return cached
        spec = nhi_type(res.type)
        meta = self._own(res, spec) if spec else Metadata()
        if spec and spec.parent and depth < 3:
            self._inherit(res, spec, meta, depth)
        self._cache[id(res)] = meta
        return meta

    def _own(self, res: Resource, spec: NhiType) -> Metadata:
        found: dict[str, Any] = {}
        unknown_source = False
        for paths, read in ((spec.meta, _map_pairs), (spec.tag_list, _list_pairs), (spec.text_meta, _text_pairs)):
            for path in paths:
                pairs, unknown = read(res.get(path))
                unknown_source = unknown_source or unknown
                for key, v in pairs:
                    found.setdefault(norm_key(key), v)
        meta = Metadata()
        for name in FIELDS:
            field_value: Any = MISSING
            for key in self._keys[name]:
                if key in found:
                    candidate = found[key]
                    if is_open(candidate):  # `owner = var.owner`, default "" in a reusable module: the caller's
                        field_value = Unknown("metadata")
                        break
                    if is_unknown(candidate) or (isinstance(candidate, str) and candidate.strip()):
                        field_value = candidate
                        break
            if field_value is MISSING and unknown_source:
                field_value = Unknown("metadata")
            setattr(meta, name, field_value)
        if spec.owners and (meta.owner is MISSING or is_unknown(meta.owner)):
            owners = res.get(spec.owners)
            if is_unknown(owners) or any(is_unknown(o) for o in as_list(owners)):
                meta.owner = Unknown("owners")
            elif as_list(owners):
                meta.owner = f"{len(as_list(owners))} owner object(s) in {spec.owners}"
        return meta

    def _inherit(self, res: Resource, spec: NhiType, meta: Metadata, depth: int) -> None:
        assert spec.parent is not None
        attrs, types = spec.parent
        parents: list[Resource] = []
        pointer: Any = MISSING
        for attr in attrs:
            parents = self.model.referenced(res, attr, *types)
            pointer = res.get(attr)
            if parents or pointer is not MISSING:
                break
        if parents:
            parent_meta = self.resolve(parents[0], depth + 1)
            taken = []
            for name in FIELDS:
                if getattr(meta, name) is MISSING:
                    setattr(meta, name, parent_meta.get(name))
                    taken.append(name)
            meta.source = parents[0].address
            meta.inherited = frozenset(taken)
        elif pointer is not MISSING:
            # The owning identity lives outside this scan (or is computed): cannot judge.
            for name in FIELDS:
                if getattr(meta, name) is MISSING:
                    setattr(meta, name, Unknown(f"owner identity of {res.address}"))


def is_present(value: Any) -> bool:
    return is_known(value) and not (isinstance(value, str) and not value.strip())
