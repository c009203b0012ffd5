"""What an update adds to a policy: compare the statements before and after.

A policy is reduced to *atoms*: one (action, target) pair of an ``Allow``
statement, where the target is a resource (permission policies) or a principal
(trust policies), with the statement's conditions. An atom of the new policy is
*covered* when an old ``Allow`` statement already granted it: its action and
target patterns match the new ones as text (``s3:*`` covers ``s3:GetObject``,
``arn:aws:s3:::a/*`` covers ``arn:aws:s3:::a/b``), and every condition of the old
statement is still there, with values that admit no more than before.

What is not covered is reported as what the update adds: actions, resources,
principals, conditions dropped or widened, and ``Deny`` statements removed.
Unknown elements are never compared (they are neither added nor covered).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.iam.catalog import catalog
from scanner.iam.policy_grammar import Condition, Statement, glob_match


@dataclass
class Widening:
    actions: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    denies: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.actions or self.targets or self.conditions or self.denies)

    def describe(self, target_noun: str) -> str:
        parts = []
        if self.actions:
            parts.append(f"adds actions {', '.join(_uniq(self.actions))}")
        if self.targets:
            parts.append(f"adds {target_noun} {', '.join(_uniq(self.targets))}")
        if self.conditions:
            parts.append("; ".join(_uniq(self.conditions)))
        if self.denies:
            parts.append(f"removes Deny of {', '.join(_uniq(self.denies))}")
        return "; ".join(parts)


def _uniq(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _is_deny(stmt: Statement) -> bool:
    return isinstance(stmt.effect, str) and stmt.effect.lower() == "deny"


def _actions(stmt: Statement) -> list[str]:
    if stmt.actions:
        return stmt.known_actions()
    if stmt.not_actions:
        return ["NotAction[" + ",".join(a for a in stmt.not_actions if isinstance(a, str)) + "]"]
    return []


def _resources(stmt: Statement) -> list[str]:
    if stmt.resources:
        return [r for r in stmt.resources if isinstance(r, str)]
    if stmt.not_resources:
        return ["NotResource[" + ",".join(r for r in stmt.not_resources if isinstance(r, str)) + "]"]
    return []


def _principals(stmt: Statement) -> list[str]:
    if stmt.principal == "*":
        return ["*"]
    if isinstance(stmt.principal, dict):
        return [f"{kind}:{i}" for kind, ids in stmt.principal.items() for i in ids if isinstance(i, str)]
    return []


def _covers(old: str, new: str) -> bool:
    if old == "*":
        return True
    if old.startswith(("NotAction[", "NotResource[")) or new.startswith(("NotAction[", "NotResource[")):
        return old == new
    return glob_match(old, new)


def _principal_covers(old: str, new: str) -> bool:
    if old == "*" or old == "AWS:*":
        return True
    return glob_match(old, new)


def _condition_gaps(old: Statement, new: Statement) -> list[str]:
    """How ``new`` admits more than ``old`` through its conditions (empty: not wider)."""
    gaps: list[str] = []
    for cond in old.conditions:
        same = [c for c in new.conditions if c.key.lower() == cond.key.lower() and c.operator == cond.operator]
        if not same:
            gaps.append(f"drops condition {cond.operator} {cond.key}")
            continue
        added = [
            v
            for c in same
            for v in c.values
            if isinstance(v, str) and not any(isinstance(o, str) and glob_match(o, v) for o in cond.values)
        ]
        if added:
            gaps.append(f"widens {cond.key} to admit {', '.join(repr(v) for v in added)}")
    return gaps


def widening(before: list[Statement], after: list[Statement], trust: bool = False) -> Widening:
    out = Widening()
    target_of = _principals if trust else _resources
    target_covers = _principal_covers if trust else _covers
    old_allows = [s for s in before if s.is_allow]
    for stmt in after:
        if not stmt.is_allow:
            continue
        for action in _actions(stmt):
            by_action = [b for b in old_allows if any(_covers(a, action) for a in _actions(b))]
            if not by_action:
                out.actions.append(action)
                continue
            info = None if trust else catalog().action(action)
            for target in target_of(stmt):
                if info is not None and not info.applies_to(target):
                    continue  # `role/*` next to `s3:GetObject` grants no S3 access
                by_target = [b for b in by_action if any(target_covers(t, target) for t in target_of(b))]
                if not by_target:
                    out.targets.append(f"{target} (for {action})")
                    continue
                gaps = [_condition_gaps(b, stmt) for b in by_target]
                if all(gaps):
                    out.conditions.extend(f"{g} (for {action})" for g in gaps[0])
    new_denies = [s for s in after if _is_deny(s)]
    for stmt in before:
        if not _is_deny(stmt):
            continue
        for action in _actions(stmt):
            if not any(
                any(_covers(a, action) for a in _actions(n)) and not n.conditions and _same_or_wider(n, stmt)
                for n in new_denies
            ) and not any(_same_statement(n, stmt) for n in new_denies):
                out.denies.append(action)
    return out


def _same_or_wider(new: Statement, old: Statement) -> bool:
    return all(any(_covers(n, o) for n in _resources(new)) for o in _resources(old))


def _same_statement(new: Statement, old: Statement) -> bool:
    return (
        _actions(new) == _actions(old)
        and _resources(new) == _resources(old)
        and {(c.operator, c.key, c.values) for c in new.conditions}
        == {(c.operator, c.key, c.values) for c in old.conditions}
    )


__all__ = ["Condition", "Widening", "widening"]
