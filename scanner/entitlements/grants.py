"""Grants as readable lines, and the digest of their canonical form.

A grant is one thing an identity can do (``s3:GetObject on arn:aws:s3:::raw-bucket/*``,
``roles/storage.admin on project p``), or one thing that shapes it (its trust policy, its
permissions boundary). An identity's *entitlements* are the set of its grants.

The canonical form is the sorted set of grant lines. Each line is built from the parsed
configuration, never from its text, so the digest is the same however the Terraform is written
(statement or action order, a heredoc or ``jsonencode``, one action or a list of one, action
names in any case) and changes whenever what is granted changes.

A value known only at apply stays in the line as its expression (``${aws_s3_bucket.raw.arn}/*``)
or as ``(unknown...)``: a grant is never dropped because part of it is unknown, and
:attr:`Entitlements.unknown` counts such lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.model.values import PartialJson, is_missing, is_unknown

#: bumped when the wording of grant lines changes: a ledger entry of another version is re-approved
FORMAT = 1
DIGEST_PREFIX = "sha256:"

_REFERENCE_RE = re.compile(r"[A-Za-z_][\w-]*(\.[\w\-*]+|\[[^\]]*\])+")
_SPACE_RE = re.compile(r"\s+")
UNKNOWN_MARKERS = ("${", "(unknown", "(known after apply")


def value_text(value: Any) -> str:
    """One value of a grant as the line shows it.

    Known scalars as written; an unknown reference or template as its expression
    (``${var.bucket}``, ``arn:aws:s3:::${var.bucket}/*``); any other unknown as ``(unknown: ...)``.
    """
    if isinstance(value, PartialJson):
        return "(unknown: " + _clean(value.source) + ")"
    if is_unknown(value):
        source = _clean(value.source)
        if "${" in source:
            return source
        if _REFERENCE_RE.fullmatch(source):
            return "${" + source + "}"
        if source.endswith("(known after apply)"):
            return "(known after apply: " + source.removesuffix("(known after apply)").strip() + ")"
        return f"(unknown: {source})" if source else "(unknown)"
    if is_missing(value):
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, int | float):
        return str(value)
    return _clean(json.dumps(value, sort_keys=True, default=str))


def _clean(text: str) -> str:
    """One line: whitespace runs (a heredoc's newlines) become one space."""
    return _SPACE_RE.sub(" ", text).strip()


def values_text(values: Iterable[Any]) -> str:
    """``a`` for one value, ``[a, b]`` (sorted) for several; when a value holds the list's own
    punctuation (``"a, b"``), each is quoted, so ``["a, b", "c"]`` and ``["a", "b, c"]`` stay two
    grants with two digests."""
    shown = sorted({value_text(v) for v in values})
    if len(shown) == 1:
        return shown[0]
    if any(_LIST_PUNCTUATION.search(s) for s in shown):
        shown = [json.dumps(s, ensure_ascii=False) for s in shown]
    return "[" + ", ".join(shown) + "]"


_LIST_PUNCTUATION = re.compile(r', |[\[\]"]')


def is_unknown_line(line: str) -> bool:
    return any(marker in line for marker in UNKNOWN_MARKERS)


@dataclass(frozen=True)
class Entitlements:
    """What one identity can do: sorted, unique grant lines."""

    grants: tuple[str, ...]

    @classmethod
    def of(cls, lines: Iterable[str]) -> Entitlements:
        return cls(tuple(sorted({_clean(line) for line in lines if line and line.strip()})))

    @property
    def digest(self) -> str:
        return digest_of(self.grants)

    @property
    def unknown(self) -> int:
        """Grants that hold a value known only at apply."""
        return sum(is_unknown_line(g) for g in self.grants)


def digest_of(grants: Iterable[str]) -> str:
    """``sha256:<hex>`` of the canonical form: the format version and the sorted, unique lines."""
    canonical = json.dumps(
        {"format": FORMAT, "grants": sorted({_clean(g) for g in grants if g.strip()})},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return DIGEST_PREFIX + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def diff(old: Iterable[str], new: Iterable[str]) -> tuple[list[str], list[str]]:
    """(added, removed) grant lines, each sorted."""
    before = {_clean(g) for g in old}
    after = {_clean(g) for g in new}
    return sorted(after - before), sorted(before - after)
