"""What a principal is effectively allowed to do, as far as the scan can tell.

The evaluation follows AWS's policy logic for identity policies:

* an action is allowed when an ``Allow`` statement of any of the principal's
  policies covers it (``Action`` patterns, or everything but ``NotAction``);
* an explicit ``Deny`` without conditions that covers the action on at least the
  same resources cancels the ``Allow`` (a conditional ``Deny`` might not apply,
  so it cancels nothing);
* a permissions boundary that is readable must allow the action too; one that
  cannot be read is remembered, because it may cap everything.

Conditions on an ``Allow`` are classified per use (:func:`condition_effect`):
some make the grant useless for a purpose (``iam:PassedToService`` naming another
service, ``aws:MultiFactorAuthPresent = true`` for a machine identity,
``iam:PermissionsBoundary`` or ``iam:PolicyARN`` pinned), others constrain it
without removing it (any other condition that pins a key to specific values, or a
condition that cannot be read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from scanner import DATA_DIR
from scanner.iam.catalog import ActionInfo, arns_intersect, catalog, globs_intersect
from scanner.iam.policy_grammar import (
    FULL_ACCESS_ACTIONS,
    Condition,
    Statement,
    glob_match,
    has_wildcard,
    is_all_wildcard,
    pins,
)
from scanner.iam.principals import PolicySource, Principal
from scanner.model.values import Unknown

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

METHODS_FILE = DATA_DIR / "aws_escalation_methods.json"

#: Resource breadth, narrowest first.
SPECIFIC, PATTERN, ALL = 0, 1, 2
BREADTH = {SPECIFIC: "specific resources", PATTERN: "resources matched by a wildcard", ALL: "all resources"}

#: policies that amount to administrator access; an iam:PolicyARN condition naming one is no constraint
_ADMIN_POLICY_NAMES = ("administratoraccess", "iamfullaccess", "poweruseraccess")


@dataclass(frozen=True)
class Grant:
    """One ``Allow`` statement that grants an action, where it came from, and how it is limited."""

    action: str
    source: PolicySource
    stmt: Statement
    breadth: int
    #: condition keys that constrain the grant without removing it ("" when none)
    constraint: str = ""

    def describe(self) -> str:
        return f"{self.source.label} {self.stmt.label} {self.source.via}".strip()


# --- resources -------------------------------------------------------------------------


def resource_breadth(resource: Any, info: ActionInfo | None = None) -> int:
    """How much of the action's resource space one ``Resource`` element covers.

    ALL: ``*``, or an ARN whose resource part matches the whole resource part of one
    of the action's ARN formats (``role/*`` for roles, ``function:*`` for functions;
    partition, region and account are ignored). PATTERN: any other wildcard
    (``role/app-*``, ``my-bucket/*``). SPECIFIC: no wildcard, or unknown.
    """
    if isinstance(resource, Unknown) or not isinstance(resource, str):
        return SPECIFIC
    if is_all_wildcard(resource):
        return ALL
    if not has_wildcard(resource):
        return SPECIFIC
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        tail = parts[5]
        if is_all_wildcard(tail):
            return ALL
        formats = [a.split(":", 5) for a in info.arns] if info is not None else []
        if any(len(f) == 6 and glob_match(tail, f[5]) for f in formats if globs_intersect(f[2], parts[2])):
            return ALL
    return PATTERN


def statement_breadth(stmt: Statement, info: ActionInfo | None = None) -> int:
    if not stmt.resources:
        return ALL if stmt.not_resources else SPECIFIC
    return max(resource_breadth(r, info) for r in stmt.resources)


def _deny_covers_resources(deny: Statement, allow: Statement) -> bool:
    """The ``Deny`` applies to every resource the ``Allow`` names."""
    if deny.resources:
        if any(isinstance(r, str) and is_all_wildcard(r) for r in deny.resources):
            return True
        wanted = allow.resources
        if not wanted or any(not isinstance(r, str) for r in wanted):
            return False
        return all(any(isinstance(d, str) and glob_match(d, r) for d in deny.resources) for r in wanted)
    if deny.not_resources:
        if any(not isinstance(r, str) for r in deny.not_resources) or not allow.resources:
            return False
        return all(
            isinstance(r, str) and not has_wildcard(r) and not any(glob_match(n, r) for n in deny.not_resources)
            for r in allow.resources
        )
    return False


def cancels(deny: Statement, allow: Statement, action: str) -> bool:
    """An unconditional ``Deny`` that covers ``action`` on every resource ``allow`` grants it on."""
    return (
        isinstance(deny.effect, str)
        and deny.effect.lower() == "deny"
        and not deny.conditions
        and not deny.conditions_unknown
        and deny.covers_action(action)
        and _deny_covers_resources(deny, allow)
    )


# --- conditions -----------------------------------------------------------------------------


def condition_effect(cond: Condition, action: str, passed_to: str | None = None) -> str:
    """``"removes"`` (the grant is useless here), ``"constrains"`` or ``"none"``."""
    key = cond.key.lower()
    if key == "iam:passedtoservice" and action.lower() == "iam:passrole":
        if passed_to is None:
            return "constrains" if pins(cond) else "none"
        hit = any(isinstance(v, str) and glob_match(v, passed_to) for v in cond.values)
        unknown = any(isinstance(v, Unknown) for v in cond.values)
        if cond.negated:
            return "removes" if hit and not cond.if_exists else "none"
        if cond.requires_match or cond.if_exists:
            return "none" if hit or unknown else "removes"
        return "none"
    mfa = cond.values and all(str(v).lower() == "true" for v in cond.values)
    if key == "aws:multifactorauthpresent" and cond.requires_match and mfa:
        return "removes"  # a machine identity cannot present MFA
    if key == "iam:permissionsboundary" and pins(cond):
        return "removes"
    if key == "iam:policyarn" and pins(cond):
        admin = any(
            isinstance(v, str) and any(name in v.lower() for name in _ADMIN_POLICY_NAMES) for v in cond.values
        )
        return "constrains" if admin else "removes"
    if pins(cond):
        return "constrains"
    return "none"


def classify(stmt: Statement, action: str, passed_to: str | None = None) -> tuple[bool, str]:
    """(usable, constraint): whether an ``Allow`` still grants ``action`` for this use, and
    the condition keys that limit it."""
    keys: list[str] = []
    for cond in stmt.conditions:
        effect = condition_effect(cond, action, passed_to)
        if effect == "removes":
            return False, ""
        if effect == "constrains":
            keys.append(cond.key)
    if stmt.conditions_unknown:
        keys.append("a condition known only at apply")
    return True, ", ".join(dict.fromkeys(keys))


# --- principals --------------------------------------------------------------------------------


_UNSET = object()


@dataclass
class Permissions:
    """Answers "may this principal do X?" with the grants that allow it."""

    principal: Principal
    _cache: dict[tuple[str, str | None], list[Grant]] = field(default_factory=dict)
    _services: object = field(default=None, init=False)
    _all: list[tuple[PolicySource, Statement]] | None = field(default=None, init=False)
    _deny: list[Statement] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._services = _UNSET

    def _statements(self) -> list[tuple[PolicySource, Statement]]:
        if self._all is None:  # asked once per action of every escalation method
            self._all = [(p, s) for p in self.principal.policies for s in p.statements]
        return self._all

    def _denies(self) -> list[Statement]:
        if self._deny is None:
            self._deny = [
                s for _p, s in self._statements() if isinstance(s.effect, str) and s.effect.lower() == "deny"
            ]
        return self._deny

    def boundary_allows(self, action: str) -> bool:
        boundary = self.principal.boundary
        if boundary is None or isinstance(boundary, Unknown):
            return True
        allows = [s for s in boundary if s.allows(action)]
        denies = [s for s in boundary if isinstance(s.effect, str) and s.effect.lower() == "deny"]
        return any(not any(cancels(d, a, action) for d in denies) for a in allows)

    def _allowed_services(self) -> frozenset[str] | None:
        """Lower-cased services some ``Allow`` statement can grant an action of; None: maybe any.

        Escalation analysis asks about a hundred actions per principal; most principals hold
        a few services, and this answers "no" for the rest without matching every statement.
        """
        if self._services is _UNSET:
            services: set[str] = set()
            for _source, stmt in self._statements():
                if not (isinstance(stmt.effect, str) and stmt.effect.lower() == "allow"):
                    continue
                if not stmt.actions and stmt.not_actions:
                    self._services = None
                    return None
                for pattern in stmt.actions:
                    if not isinstance(pattern, str):
                        continue  # an unknown Action never matches (Statement.covers_action)
                    service, sep, _name = pattern.partition(":")
                    if any(c in service for c in "*?"):
                        self._services = None
                        return None
                    if sep:
                        services.add(service.lower())
            self._services = frozenset(services)
        return self._services  # type: ignore[return-value]

    def grants(self, action: str, passed_to: str | None = None) -> list[Grant]:
        """Every usable ``Allow`` of ``action`` that no ``Deny`` cancels and the boundary admits."""
        key = (action.lower(), passed_to)
        if key in self._cache:
            return self._cache[key]
        out: list[Grant] = []
        services = self._allowed_services()
        if services is not None and action.partition(":")[0].lower() not in services:
            self._cache[key] = out
            return out
        if self.boundary_allows(action):
            denies = self._denies()
            info = catalog().action(action)
            for source, stmt in self._statements():
                if not stmt.allows(action) or any(cancels(d, stmt, action) for d in denies):
                    continue
                breadth = statement_breadth(stmt, info)
                if stmt.resources and info is not None:
                    applicable = [r for r in stmt.resources if info.applies_to(r)]
                    if not applicable:
                        continue  # `iam:PutUserPolicy` on `role/*` grants nothing
                    breadth = max(resource_breadth(r, info) for r in applicable)
                usable, constraint = classify(stmt, action, passed_to)
                if usable:
                    out.append(Grant(action, source, stmt, breadth, constraint))
        self._cache[key] = out
        return out

    def denies(self, action: str, arn: str | None) -> bool:
        """An unconditional ``Deny`` of the principal's covers ``action`` on the resource ``arn``
        (an ARN glob, the account unknown; None: a resource whose ARN the scan cannot tell)."""
        for deny in self._denies():
            if deny.conditions or deny.conditions_unknown or not deny.covers_action(action):
                continue
            if any(isinstance(r, str) and is_all_wildcard(r) for r in deny.resources):
                return True
            if arn is None:
                continue
            if any(isinstance(r, str) and arns_intersect(arn, r) for r in deny.resources):
                return True
            excluded = deny.not_resources
            if excluded and all(isinstance(r, str) for r in excluded) and not any(
                arns_intersect(arn, r) for r in excluded
            ):
                return True
        return False

    def is_admin(self) -> bool:
        """Unconditional ``"*"`` on every resource, not cancelled by a ``Deny *`` nor capped by a boundary.

        Such a principal has nothing to escalate to; NHI_AWS_010/012 report it.
        """
        if self.principal.boundary is not None:
            return False
        denies = self._denies()
        return any(
            stmt.is_allow
            and any(a in FULL_ACCESS_ACTIONS for a in stmt.actions)
            and statement_breadth(stmt) == ALL
            and not stmt.conditions
            and not stmt.conditions_unknown
            and not any(cancels(d, stmt, "*") for d in denies)
            for _source, stmt in self._statements()
        )


# --- escalation methods -------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    id: str
    name: str
    source: str
    severity: str
    #: every group must be granted (one action of each)
    actions: tuple[tuple[str, ...], ...]
    passed_to: str | None
    gains: str

    @property
    def principal_write(self) -> bool:
        """The method changes IAM principals directly (policies, trust, keys, groups, boundaries).

        A wildcard name pattern (``role/ci-*``) still reaches other principals for these;
        for methods that abuse a service's resources or pass a role, a name prefix
        (``function:orders-*``, ``role/orders-*``) is a team's own resources.
        """
        return not self.passed_to and all(a.lower().startswith("iam:") for a in self.actions[0])

    @property
    def all_actions(self) -> list[str]:
        return [a for group in self.actions for a in group]


@lru_cache(maxsize=1)
def methods() -> tuple[Method, ...]:
    """The escalation methods in ``scanner/data/aws_escalation_methods.json``."""
    data = json.loads(METHODS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Method(
            m["id"],
            m["name"],
            m["source"],
            m["severity"],
            tuple(tuple(g) for g in m["actions"]),
            m.get("passed_to"),
            m["gains"],
        )
        for m in data["methods"]
    )


@dataclass
class Path_:
    """One escalation method a principal can use, with the grants that enable it."""

    method: Method
    #: for each action group, the grants that satisfy it
    grants: list[list[Grant]]
    breadth: int
    constraint: str

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(g.action for group in self.grants for g in group))


def escalation_paths(perms: Permissions) -> list[Path_]:
    """Every method whose actions the principal holds, with the breadth of the decisive grant.

    The decisive grant is ``iam:PassRole`` for methods that pass a role (the other
    actions only need to be allowed somewhere), and the first action group for the
    others (the action that touches the resource being abused). A method whose
    decisive grants are all on specific, wildcard-free resources is not returned:
    passing one named role, or updating one named function, is a deliberate grant. Nor
    is a method whose decisive grant is a name pattern (``function:orders-*``), unless
    the method writes IAM principals directly (:attr:`Method.principal_write`).
    """
    out: list[Path_] = []
    if perms._allowed_services() == frozenset():  # no Allow at all (a user without policies): nothing to use
        return out
    for method in methods():
        groups: list[list[Grant]] = []
        for group in method.actions:
            passed = method.passed_to if group == ("iam:PassRole",) else None
            found = [g for action in group for g in perms.grants(action, passed)]
            if not found:
                break
            groups.append(found)
        else:
            if all(g.source.admin_class for group in groups for g in group):
                continue  # only AWS managed admin-class policies: NHI_AWS_012 reports the attachment
            decisive = groups[0]
            breadth = max(g.breadth for g in decisive)
            if breadth == SPECIFIC or (breadth == PATTERN and not method.principal_write):
                continue
            widest = [g for g in decisive if g.breadth == breadth]
            unconstrained = [g for g in widest if not g.constraint]
            constraint = "" if unconstrained else widest[0].constraint
            out.append(Path_(method, groups, breadth, constraint))
    return out


def single_action_methods() -> frozenset[str]:
    """Lower-cased actions that are an escalation method on their own (NHI_AWS_030 reports them)."""
    return frozenset(
        a.lower() for m in methods() if not m.passed_to and len(m.actions) == 1 for a in m.actions[0]
    )


def statement_grants(stmt: Statement, action: str) -> int | None:
    """The breadth with which one ``Allow`` statement grants a catalogued ``action``, or None."""
    if not stmt.allows(action):
        return None
    info = catalog().action(action)
    if not stmt.resources:
        return ALL if stmt.not_resources else None
    applicable = [r for r in stmt.resources if info is None or info.applies_to(r)]
    return max(resource_breadth(r, info) for r in applicable) if applicable else None


def pinning_keys(stmt: Statement) -> list[str]:
    """Condition keys that pin the statement to specific values (or an unreadable condition)."""
    keys = [c.key for c in stmt.conditions if pins(c)]
    if stmt.conditions_unknown:
        keys.append("a condition known only at apply")
    return keys


def expanded_actions(stmt: Statement) -> list[str]:
    """The catalogued actions a statement's ``Action`` list names (literal or by wildcard)."""
    out: dict[str, None] = {}
    for pattern in stmt.known_actions():
        for info in catalog().expand(pattern):
            out[info.name] = None
    return list(out)


def cancelled_for_all_holders(res: Resource, stmt: Statement, action: str, ctx: Context) -> bool:
    """Every identity that holds the policy on ``res`` has an unconditional ``Deny`` that
    cancels ``stmt`` for ``action`` (a quarantine policy next to an admin grant).

    False when the policy reaches nobody in the scan, or anybody outside it.
    """
    from scanner.iam.principals import holders_of, principal_of

    holders: list[Resource]
    others: list[str]
    if res.type == "aws_iam_role":
        holders, others = [res], []
    else:
        holders, others = holders_of(res, ctx)
    if not holders or others:
        return False
    for holder in holders:
        perms = Permissions(principal_of(holder, ctx))
        if not any(cancels(d, stmt, action) for d in perms._denies()):
            return False
    return True
