"""The expiry date of an NHI: native attributes first, then the `expires` metadata.

Native expiry comes in two forms: an absolute date (the catalogue's ``expiry``
attributes, e.g. ``end_date``) and a lifetime relative to creation
(:data:`RELATIVE_EXPIRY`, e.g. azuread ``end_date_relative = "2160h"`` or Google
Secret Manager ``ttl = "86400s"``). A relative lifetime is read as "created
today": expiry = today + duration, so its distance from today is the lifetime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from scanner.model.nhi_types import nhi_type
from scanner.model.resource import Resource
from scanner.model.values import is_known
from scanner.policy.context import Context
from scanner.policy.metadata import parse_date

#: attributes holding a lifetime relative to creation, as a Go-style duration, by resource type
RELATIVE_EXPIRY: dict[str, tuple[str, ...]] = {
    "azuread_application_password": ("end_date_relative",),
    "azuread_service_principal_password": ("end_date_relative",),
    "azuread_application_certificate": ("end_date_relative",),
    "azuread_service_principal_certificate": ("end_date_relative",),
    "google_secret_manager_secret": ("ttl",),
}
#: attributes holding a lifetime relative to creation, in whole days, by resource type
RELATIVE_DAYS: dict[str, tuple[str, ...]] = {
    "aws_iam_service_specific_credential": ("credential_age_days",),  # Bedrock API keys
}

# Go's time.ParseDuration units, in seconds; Google's "3.5s" protobuf durations are a subset.
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign, as Go accepts it
    "\u03bcs": 1e-6,  # Greek mu, as Go accepts it
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_UNIT = "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True))
_PART_RE = re.compile(rf"(\d+\.?\d*|\.\d+)({_UNIT})")
_DURATION_RE = re.compile(rf"([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:{_UNIT}))+)")


@dataclass
class Expiry:
    value: date | None
    raw: Any
    path: str | None
    label: str
    #: read from the ``expires`` metadata of the identity this credential belongs to
    inherited: bool = False


def parse_duration(value: Any) -> timedelta | None:
    """A Go duration (``"17520h"``, ``"2160h30m"``, ``"86400s"``, ``"-1.5h"``), or None.

    ``"0"`` is the only unit-less duration Go accepts. Days are not a Go unit.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("0", "+0", "-0"):
        return timedelta(0)
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return None
    seconds = sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART_RE.findall(match.group(2)))
    try:
        total = timedelta(seconds=seconds)
    except OverflowError:
        return None
    return -total if match.group(1) == "-" else total


def _relative(raw: Any, today: date) -> date | None:
    duration = parse_duration(raw)
    if duration is None:
        return None
    try:
        return today + duration
    except OverflowError:
        return date.max if duration > timedelta(0) else date.min


def expiry_of(res: Resource, ctx: Context) -> Expiry | None:
    spec = nhi_type(res.type)
    if spec is None:
        return None
    for attr in spec.expiry:
        raw = res.get(attr)
        if is_known(raw):
            return Expiry(parse_date(raw), raw, attr, f"`{attr}`")
    for attr in RELATIVE_EXPIRY.get(res.type, ()):
        raw = res.get(attr)
        if is_known(raw):
            # The provider rejects a malformed duration at plan time: nothing to report then.
            value = _relative(raw, ctx.today)
            return None if value is None else Expiry(value, raw, attr, f"`{attr}` ({raw} from creation)")
    for attr in RELATIVE_DAYS.get(res.type, ()):
        raw = res.get(attr)
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= 36600:  # the API's range
            return Expiry(ctx.today + timedelta(days=raw), raw, attr, f"`{attr}` ({raw} days from creation)")
    meta = ctx.meta(res) if spec.governed else None
    raw = meta.expires if meta else None
    if is_known(raw):
        return Expiry(parse_date(raw), raw, None, "`expires` metadata", "expires" in meta.inherited if meta else False)
    return None


def days_until(day: date, today: date) -> int:
    return (day - today).days
