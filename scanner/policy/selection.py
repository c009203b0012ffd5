"""Which rules run: ruff-style ``select`` / ``ignore`` by rule ID or prefix, merged with the config.

A selector is a rule ID (``NHI_SEC_001``) or a prefix of one (``NHI_AWS``, ``NHI_AWS_0``). A rule
runs when it is selected and not ignored; when both a select and an ignore selector match it, the
longer (more specific) one decides, and ignore wins a tie, as in ruff:

* ``--select NHI_AWS --ignore NHI_AWS_001``: every AWS rule but NHI_AWS_001;
* ``--ignore NHI_AWS --select NHI_AWS_001``: of the AWS rules, only NHI_AWS_001.

Merging with the config (docs: README "Rule selection"): ``select`` given on the command line
replaces the config's ``select``; ``ignore`` adds to the config's ``disable``. So a rule the
config disables stays off unless a selector more specific than the config's names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def normalise(selectors: Iterable[str]) -> tuple[str, ...]:
    """Upper-cased, comma-separated lists split (``--select NHI_AWS,NHI_SEC_001``), empties dropped."""
    out: list[str] = []
    for item in selectors:
        out.extend(part.strip().upper() for part in item.split(",") if part.strip())
    return tuple(dict.fromkeys(out))


def _longest(rule_id: str, selectors: Sequence[str]) -> int:
    """Length of the longest selector that is a prefix of ``rule_id``; -1 when none is."""
    return max((len(s) for s in selectors if rule_id.startswith(s)), default=-1)


@dataclass(frozen=True)
class Selection:
    """What the scan asks for on top of each config: ``select`` (None: the config's) and ``ignore``."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    def enabled(self, rule_id: str, config_select: Sequence[str], config_disable: Sequence[str]) -> bool:
        select = self.select if self.select is not None else normalise(config_select)
        ignore = (*normalise(config_disable), *self.ignore)
        chosen = _longest(rule_id, select) if select else 0
        return chosen >= 0 and chosen > _longest(rule_id, ignore)

    def unknown(self, rule_ids: Iterable[str]) -> list[str]:
        """Selectors that match no rule ID: a typo selects or ignores nothing, so it is an error."""
        ids = list(rule_ids)
        return [s for s in (*(self.select or ()), *self.ignore) if not any(i.startswith(s) for i in ids)]
