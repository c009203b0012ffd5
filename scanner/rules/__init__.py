"""Rule registry: every ``Rule`` subclass in the modules below this package."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from scanner.rules.base import RULE_ID_RE, Context, Rule, Violation

__all__ = ["Context", "Rule", "Violation", "all_rules", "get_rule"]


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    found: dict[str, Rule] = {}
    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        if info.name.endswith(".base"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and getattr(obj, "id", None)
                and obj.__module__ == module.__name__
            ):
                if not RULE_ID_RE.match(obj.id):
                    raise ValueError(f"rule id {obj.id!r} must look like NHI_AWS_001")
                if obj.id in found:
                    raise ValueError(f"duplicate rule id {obj.id}")
                found[obj.id] = obj()
    return tuple(found[k] for k in sorted(found))


def get_rule(rule_id: str) -> Rule | None:
    wanted = rule_id.strip().upper()
    return next((r for r in all_rules() if r.id == wanted), None)
