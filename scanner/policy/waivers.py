"""Time-bounded exceptions: inline ``# nhi-guard:ignore`` comments and config waivers."""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scanner.model.report import Finding
from scanner.model.resource import Resource, strip_indexes
from scanner.policy.config import Config
from scanner.policy.metadata import parse_date

_INLINE_RE = re.compile(r"nhi-guard:ignore\b[=\s]*(.*)$")
_MARKER_RE = re.compile(r"(?:#|//)\s*(nhi-guard:|checkov:skip)")


def marker_comments(lines: list[str], first: int, last: int) -> list[tuple[int, str]]:
    """Suppression comments inside a block (lines ``first``..``last``, 1-based)."""
    return [
        (n, lines[n - 1].strip()) for n in range(first, min(last, len(lines)) + 1) if _MARKER_RE.search(lines[n - 1])
    ]


@dataclass
class WaiverEntry:
    rules: list[str]
    resource: str
    reason: str | None
    owner: str | None
    expires: date | None
    origin: str
    file: str
    line: int
    raw_expires: str | None = None
    suppressed: int = field(default=0)
    #: set for an inline waiver: it only applies to findings in its own file (the block's)
    scope_file: str | None = None
    #: set for a config waiver: the config file it was written in ("" for a config object); it
    #: only applies to findings that config governs
    config_path: str | None = None

    def problems(self, today: date) -> list[str]:
        out = [f"no {name}" for name, value in (("reason", self.reason), ("owner", self.owner)) if not value]
        if self.expires is None:
            out.append("an unreadable expiry date" if self.raw_expires else "no expiry date")
        elif self.expires < today:
            out.append(f"expired on {self.expires.isoformat()}")
        return out

    def matches(self, rule_id: str, address: str, file: str) -> bool:
        if rule_id not in self.rules:
            return False
        if self.scope_file is not None:
            # Inline: written once in the block, so it covers every count / for_each instance of
            # that block (a plan's ``r[0]``, ``r["k"]``) at that module path, and nothing else.
            return file == self.scope_file and strip_indexes(address) == self.resource
        # Instance keys use brackets, which fnmatch would read as a character class.
        return address == self.resource or fnmatch.fnmatchcase(address, self.resource.replace("[", "[[]"))


_CONFIG_WAIVER_RE = re.compile(r"^[ \t]*\[\[[ \t]*(?:tool\.nhi-guard\.)?waivers[ \t]*\]\]", re.MULTILINE)


def config_waiver_lines(text: str) -> list[int]:
    """Line of each ``[[waivers]]`` table in a config file, in order."""
    return [text.count("\n", 0, m.start()) + 1 for m in _CONFIG_WAIVER_RE.finditer(text)]


def inline_waivers(res: Resource) -> list[WaiverEntry]:
    """The ``# nhi-guard:ignore`` comments of a block. ``res.comments`` come from the ``.tf`` block:
    an HCL resource's own, or, with ``--source-dir``, the block a plan object was matched to
    (scanner/loaders/source_map.py). The waiver names the block's address without instance key."""
    out = []
    for line, text in res.comments:
        match = _INLINE_RE.search(text)
        if not match:
            continue
        try:
            tokens = shlex.split(match.group(1))
        except ValueError:
            tokens = match.group(1).split()
        rules: list[str] = []
        fields: dict[str, str] = {}
        for tok in tokens:
            if "=" in tok:
                key, _, value = tok.partition("=")
                fields[key.strip().lower()] = value.strip()
            else:
                rules.extend(r.strip().upper() for r in tok.split(",") if r.strip())
        raw = fields.get("expires") or fields.get("exp")
        out.append(
            WaiverEntry(
                rules=rules,
                resource=res.config_address,
                reason=fields.get("reason"),
                owner=fields.get("owner"),
                expires=parse_date(raw),
                raw_expires=raw,
                origin=f"{res.file}:{line}",
                file=res.file,
                line=line,
                scope_file=res.file,
            )
        )
    return out


def config_waivers(config: Config, path: str | None, display: str) -> list[WaiverEntry]:
    """The ``[[waivers]]`` of one config file; they apply only to findings that config governs.

    ``display`` names the file in the report (``config`` for a config given as an object).
    """
    lines = _waiver_lines(path)
    out = []
    for i, cw in enumerate(config.waivers):
        line = lines[i] if i < len(lines) else 1
        out.append(
            WaiverEntry(
                rules=[cw.rule.upper()],
                resource=cw.resource,
                reason=cw.reason,
                owner=cw.owner,
                expires=cw.expires,
                origin=f"{display}:{line}",
                file=display,
                line=line,
                config_path=path or "",
            )
        )
    return out


def _waiver_lines(path: str | None) -> list[int]:
    if not path:
        return []
    try:
        return config_waiver_lines(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def apply_waivers(
    findings: list[Finding],
    waivers: list[WaiverEntry],
    today: date,
    governing: Callable[[Finding], str],
    suppressed: Callable[[Finding, WaiverEntry], None] | None = None,
) -> list[Finding]:
    """The findings no valid waiver covers; each waiver counts what it suppressed.

    ``governing`` names the config file that governs a finding's file: a config waiver only
    covers findings of its own config. ``suppressed`` hears of each finding a waiver suppresses
    (the inventory lists the waivers of each NHI).
    """
    valid = [w for w in waivers if not w.problems(today)]
    kept: list[Finding] = []
    for f in findings:
        match = next(
            (
                w
                for w in valid
                if (w.config_path is None or w.config_path == governing(f)) and w.matches(f.rule_id, f.resource, f.file)
            ),
            None,
        )
        if match is None:
            kept.append(f)
        else:
            match.suppressed += 1
            if suppressed is not None:
                suppressed(f, match)
    return kept
