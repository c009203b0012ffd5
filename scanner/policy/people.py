"""People in approvals: who is the same person, which names are placeholders, who is in a team.

Shared by the approval rules, the ledger command and the Action's summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: RFC 2606 / RFC 6761 names reserved for examples, and the documentation addresses assistants invent
_EXAMPLE_DOMAIN_RE = re.compile(
    r"@(?:[\w.-]+\.)?(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|invalid|localhost)|example|localhost|"
    r"domain\.com|company\.com|email\.com|yourcompany\.com|your-company\.com|acme-corp\.com)$",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(
    r"^(?:tbd|tba|tbc|todo|fixme|n/?a|none|null|nil|unknown|unassigned|pending|someone|somebody|anyone|"
    r"approver|reviewer|manager|owner|name|your[-_ .]?name|first[-_ .]?last|john[-_ .]?doe|jane[-_ .]?doe|"
    r"changeme|change[-_ .]?me|replace[-_ .]?me|placeholder|example|test|foo|bar|x+|-+|\?+|\.+|\*+)$",
    re.IGNORECASE,
)
_TEMPLATE_RE = re.compile(r"^(?:<[^>]*>|\{\{.*\}\}|\$\{.*\}|\[[^\]]*\]|%\w+%)$")


def same_person(a: str, b: str, aliases: Mapping[str, Sequence[str]]) -> bool:
    """``a`` and ``b`` name one person: equal (case-insensitive, ``@`` before a login ignored), or
    both in one entry of the config's ``aliases``."""

    def names(x: str) -> set[str]:
        x = _norm(x)
        out = {x}
        for person, others in aliases.items():
            group = {_norm(person), *(_norm(o) for o in others)}
            if x in group:
                out |= group
        return out

    return bool(names(a) & names(b))


def _norm(name: str) -> str:
    return name.strip().lower().removeprefix("@")


def placeholder_reason(name: str) -> str | None:
    """Why ``name`` is not a real person's name (``TBD``, ``<name>``, ``bob@example.com``), or None."""
    text = name.strip()
    if not text:
        return "it is empty"
    bare = text.removeprefix("@")  # a login written as a mention, as same_person() reads it: @TBD is TBD
    if _TEMPLATE_RE.match(text) or _TEMPLATE_RE.match(bare):
        return "it is a template placeholder"
    if not bare or _PLACEHOLDER_RE.match(bare):
        return "it is a placeholder, not a person"
    if "@" in text and _EXAMPLE_DOMAIN_RE.search(text):
        return "it is an address at a domain reserved for examples"
    return None


def is_team(entry: str) -> bool:
    """``@org/team`` (or ``org/team``): a GitHub team, as CODEOWNERS and the config name them."""
    return "/" in entry.strip().removeprefix("@")


def team_key(entry: str) -> str:
    """``acme/security`` for ``@acme/security`` and ``@Acme/Security`` (team slugs are case-insensitive)."""
    return entry.strip().removeprefix("@").lower()


class TeamsError(Exception):
    """A teams file that cannot be used; the message names the file and key."""


@dataclass
class Teams:
    """Members of GitHub teams, ``org/team`` -> logins: from a file, or looked up on first use
    (the Action's ``resolver`` asks GitHub's API and raises :class:`TeamsError` saying why not)."""

    members: dict[str, list[str]] = field(default_factory=dict)
    #: teams that could not be looked up, with why (the approval rules and the evidence record say so)
    unresolved: dict[str, str] = field(default_factory=dict)
    resolver: Callable[[str], list[str]] | None = field(default=None, repr=False, compare=False)

    def of(self, entry: str) -> list[str] | None:
        """The logins of a team, or None when its members are not known."""
        key = team_key(entry)
        found = self.members.get(key)
        if found is None and self.resolver is not None and key not in self.unresolved:
            try:
                found = self.members[key] = [x.strip().removeprefix("@") for x in self.resolver(key)]
            except TeamsError as exc:
                self.unresolved[key] = str(exc)
        return None if found is None else list(found)

    def why_unknown(self, entry: str) -> str | None:
        """Why a team's members could not be looked up, when they were asked for and could not be."""
        return self.unresolved.get(team_key(entry))


def teams_from(data: Any, source: str) -> Teams:
    if not isinstance(data, Mapping):
        raise TeamsError(f'{source}: must be a JSON object of team -> logins, e.g. {{"acme/security": ["bob"]}}')
    members: dict[str, list[str]] = {}
    for team, logins in data.items():
        if not isinstance(team, str) or not is_team(team):
            raise TeamsError(f"{source}: key {json.dumps(team)}: must be a team as org/team")
        if not isinstance(logins, list) or not all(isinstance(x, str) for x in logins):
            raise TeamsError(f"{source}: key {json.dumps(team)}: must be a list of logins")
        members[team_key(team)] = [x.strip().removeprefix("@") for x in logins if x.strip()]
    return Teams(members)


def load_teams(path: str | Path) -> Teams:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TeamsError(f"{path}: cannot read the teams file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TeamsError(f"{path}: not JSON: {exc}") from None
    return teams_from(data, str(path))
