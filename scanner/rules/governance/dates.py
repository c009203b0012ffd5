"""The expiry date of an NHI: native attributes first, then the `expires` metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from scanner.catalogue import nhi_type
from scanner.metadata import parse_date
from scanner.model import Resource
from scanner.rules.base import Context
from scanner.values import is_known


@dataclass
class Expiry:
    value: date | None
    raw: Any
    path: str | None
    label: str


def expiry_of(res: Resource, ctx: Context) -> Expiry | None:
    spec = nhi_type(res.type)
    if spec is None:
        return None
    for attr in spec.expiry:
        raw = res.get(attr)
        if is_known(raw):
            return Expiry(parse_date(raw), raw, attr, f"`{attr}`")
    raw = ctx.meta(res).expires if spec.governed else None
    if is_known(raw):
        return Expiry(parse_date(raw), raw, None, "`expires` metadata")
    return None


def days_until(day: date, today: date) -> int:
    return (day - today).days
