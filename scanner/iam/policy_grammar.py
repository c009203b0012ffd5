"""The grammar of AWS IAM policy documents: statements, conditions, principals, wildcards.

A policy value reaches a rule in one of several shapes: a JSON string (a literal,
a heredoc, a plan's ``after``), a :class:`~scanner.model.values.PartialJson`
(``jsonencode`` of a structure with unknown parts), an already decoded mapping,
or an :class:`~scanner.model.values.Unknown`. :func:`parse_policy` turns all of them
into :class:`Statement` objects.

Unknown parts stay :class:`Unknown` inside a statement. Matching is
conservative about them: an unknown action never counts as a wildcard, an
unknown ``NotAction`` element means "cannot tell", and an unknown condition
counts as possibly constraining.

This module knows documents only, never resources: where a resource keeps its
policies is :mod:`scanner.iam.policy_lookup`, how messages name them is
:mod:`scanner.iam.policy_wording`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypeAlias

from scanner.model.values import MISSING, PartialJson, Unknown, as_list, is_missing

#: The rendered form of a ``principals { type = "*" }`` block or ``"Principal": "*"``.
ANYONE: Literal["*"] = "*"

#: ``policy_document.render`` writes a condition block whose test or variable is
#: unknown under this operator name (see scanner/iam/policy_document.py).
_UNKNOWN_CONDITION_OPERATOR = "Unknown"

#: Actions that mean "every action of every service".
FULL_ACCESS_ACTIONS: tuple[str, ...] = ("*", "*:*")
#: Actions that let a principal assume a role; a trust policy grants one of them.
ASSUME_ROLE_ACTIONS: tuple[str, ...] = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


# --- wildcard matching ------------------------------------------------------


def has_wildcard(text: str) -> bool:
    """IAM wildcards are ``*`` and ``?`` (in actions, resources and ``*Like`` conditions)."""
    return "*" in text or "?" in text


def is_all_wildcard(text: str) -> bool:
    """``*``, ``**``, ``*?``: matches anything non-empty."""
    return bool(text) and not text.strip("*?") and "*" in text


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    """IAM-style wildcard match; case-insensitive (IAM action names are)."""
    return _glob(pattern).fullmatch(text) is not None


def split_action(action: str) -> tuple[str, str] | None:
    """``"s3:GetObject"`` -> ``("s3", "GetObject")``; None when there is no ``service:`` part."""
    service, sep, name = action.partition(":")
    if not sep:
        return None
    return service, name


# --- conditions ---------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One ``"Operator": {"key": values}`` entry of a statement's ``Condition``."""

    operator: str
    key: str
    values: tuple[Any, ...]

    @property
    def base_operator(self) -> str:
        """The operator without ``ForAnyValue:``/``ForAllValues:`` and ``IfExists``."""
        op = self.operator.split(":", 1)[1] if ":" in self.operator else self.operator
        return op[: -len("IfExists")] if op.endswith("IfExists") else op

    @property
    def if_exists(self) -> bool:
        """``...IfExists``: the condition passes when the request lacks the key."""
        return self.operator.endswith("IfExists")

    @property
    def for_all_values(self) -> bool:
        """``ForAllValues:``: passes when the key is absent or empty."""
        return self.operator.lower().startswith("forallvalues:")

    @property
    def negated(self) -> bool:
        """``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``: excludes instead of requiring."""
        return "Not" in self.base_operator

    @property
    def requires_match(self) -> bool:
        """The condition only passes when the request carries the key with a listed value.

        False for negated operators, ``IfExists``, ``ForAllValues:`` and ``Null``,
        which all let a request without the key (or with any other value) through.
        """
        return not (self.negated or self.if_exists or self.for_all_values or self.base_operator == "Null")

    def key_is(self, *keys: str) -> bool:
        """Condition keys are case-insensitive."""
        return self.key.lower() in {k.lower() for k in keys}


def _conditions(raw: Any) -> tuple[tuple[Condition, ...], bool]:
    """Conditions plus whether part of the ``Condition`` block is unknown."""
    if is_missing(raw):
        return (), False
    if not isinstance(raw, Mapping):
        return (), True
    out: list[Condition] = []
    unknown = False
    for operator, entries in raw.items():
        if operator == _UNKNOWN_CONDITION_OPERATOR or not isinstance(entries, Mapping):
            unknown = True
            continue
        for key, values in entries.items():
            if ":" not in str(key):  # every real condition key has a `service:` prefix
                unknown = True
                continue
            out.append(Condition(str(operator), str(key), tuple(as_list(values))))
    return tuple(out), unknown


# --- principals -------------------------------------------------------------------

#: ``"*"``, or principal type (``AWS``, ``Service``, ``Federated``, ``CanonicalUser``)
#: -> identifiers, or Unknown, or None when the statement has no principal.
Principal: TypeAlias = Literal["*"] | dict[str, tuple[Any, ...]] | Unknown | None


def _principal(raw: Any) -> Principal:
    if is_missing(raw):
        return None
    if isinstance(raw, Unknown):
        return raw
    if raw == ANYONE:
        return ANYONE
    if isinstance(raw, Mapping):
        # `not_principals = []` in a policy document renders as an empty mapping: no principal
        return {str(kind): tuple(as_list(ids)) for kind, ids in raw.items()} or None
    return Unknown("principal")


# --- statements ---------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement of an IAM policy, with three-valued elements.

    ``effect`` is ``"Allow"``, ``"Deny"``, an :class:`Unknown` or MISSING.
    ``actions`` and friends are tuples whose elements are strings or Unknown.
    ``conditions`` keeps operator -> key -> values; ``conditions_unknown`` is
    True when part of the ``Condition`` block could not be read.
    ``index`` is the 0-based position in the policy's ``Statement`` list.
    """

    index: int
    sid: str | None
    effect: Any
    actions: tuple[Any, ...]
    not_actions: tuple[Any, ...]
    resources: tuple[Any, ...]
    not_resources: tuple[Any, ...]
    principal: Principal
    not_principal: Principal
    conditions: tuple[Condition, ...]
    conditions_unknown: bool = False

    # -- identity ----------------------------------------------------------
    @property
    def key(self) -> str:
        """Stable within a policy: the Sid when there is one, else the index."""
        return self.sid if self.sid else str(self.index)

    @property
    def label(self) -> str:
        """For messages: ``statement 'AllowS3'`` or ``statement #2``."""
        return f"statement '{self.sid}'" if self.sid else f"statement #{self.index + 1}"

    # -- effect ------------------------------------------------------------
    @property
    def is_allow(self) -> bool:
        return isinstance(self.effect, str) and self.effect.lower() == "allow"

    # -- actions -----------------------------------------------------------
    def known_actions(self) -> list[str]:
        return [a for a in self.actions if isinstance(a, str)]

    def covers_action(self, action: str) -> bool:
        """The statement's ``Action`` (or ``NotAction``) includes ``action``.

        An unknown ``Action`` element never matches; an unknown ``NotAction``
        element makes the answer "no" (it might exclude the action).
        """
        if self.actions:
            return any(isinstance(p, str) and glob_match(p, action) for p in self.actions)
        if self.not_actions:
            if any(not isinstance(p, str) for p in self.not_actions):
                return False
            return not any(glob_match(p, action) for p in self.not_actions)
        return False

    def allows(self, *actions: str) -> bool:
        """An ``Allow`` statement that covers at least one of ``actions``."""
        return self.is_allow and any(self.covers_action(a) for a in actions)

    # -- resources -----------------------------------------------------------
    @property
    def on_all_resources(self) -> bool:
        """``Resource: "*"``, or ``NotResource`` (everything except the listed ARNs)."""
        if any(r == "*" for r in self.resources):
            return True
        return bool(self.not_resources) and not self.resources

    # -- principals ---------------------------------------------------------------
    def principal_ids(self, kind: str) -> tuple[Any, ...]:
        """Identifiers of one principal type (``AWS``, ``Federated``...), case-insensitive type."""
        if not isinstance(self.principal, dict):
            return ()
        out: list[Any] = []
        for k, ids in self.principal.items():
            if k.lower() == kind.lower():
                out.extend(ids)
        return tuple(out)

    @property
    def principal_is_anyone(self) -> bool:
        """``Principal: "*"`` or ``{"AWS": "*"}``: every AWS principal in every account."""
        return self.principal == ANYONE or any(p == "*" for p in self.principal_ids("AWS"))

    # -- conditions ------------------------------------------------------------
    def conditions_on(self, *keys: str) -> list[Condition]:
        return [c for c in self.conditions if c.key_is(*keys)]

    def conditions_with_prefix(self, prefix: str) -> list[Condition]:
        low = prefix.lower()
        return [c for c in self.conditions if c.key.lower().startswith(low)]


def _elements(raw: Any) -> tuple[Any, ...]:
    """Action/Resource lists: a string or a list; Unknown stays an (unknown) element."""
    return tuple(v for v in as_list(raw) if not is_missing(v))


def _statement(index: int, raw: Mapping[str, Any]) -> Statement:
    conditions, unknown = _conditions(raw.get("Condition"))
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) and sid else None,
        effect=raw.get("Effect", MISSING),
        actions=_elements(raw.get("Action")),
        not_actions=_elements(raw.get("NotAction")),
        resources=_elements(raw.get("Resource")),
        not_resources=_elements(raw.get("NotResource")),
        principal=_principal(raw.get("Principal")),
        not_principal=_principal(raw.get("NotPrincipal")),
        conditions=conditions,
        conditions_unknown=unknown,
    )


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """The decoded policy document, or None when it is unknown, missing or not a policy."""
    if isinstance(value, PartialJson):
        value = value.value
    if isinstance(value, Unknown) or is_missing(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return None
    return value if isinstance(value, Mapping) else None


def parse_policy(value: Any) -> list[Statement]:
    """Every readable statement of a policy value (JSON text, PartialJson, mapping).

    Unknown or unreadable policies give an empty list. A statement that is itself
    unknown (a ``dynamic "statement"`` block) is skipped, but still counts for the
    indexes of the statements after it.
    """
    if isinstance(value, str):  # the same JSON text is read by every policy rule and every principal
        return list(_parse_policy_text(value))
    return _parse_document(policy_document(value))


@lru_cache(maxsize=8192)
def _parse_policy_text(text: str) -> tuple[Statement, ...]:
    return tuple(_parse_document(policy_document(text)))


def _parse_document(doc: Mapping[str, Any] | None) -> list[Statement]:
    if doc is None:
        return []
    out: list[Statement] = []
    for index, raw in enumerate(as_list(doc.get("Statement"))):
        if isinstance(raw, Mapping):
            out.append(_statement(index, raw))
    return out


#: Condition keys whose value is an ARN: only the account field must be wildcard-free.
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
#: Condition keys whose value is an AWS Organizations path (``o-xxx/r-xxx/ou-xxx/*``).
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})


def is_specific_value(key: str, value: Any) -> bool:
    """A condition value that names something specific for ``key``.

    Unknown counts as specific (it cannot be shown to be a wildcard). ``"*"`` never
    does. For ARN keys the account field must be literal (``arn:aws:iam::*:role/x``
    admits a role of that name in any account), or, for an S3 bucket ARN, which has
    no account field, the whole ARN must be; for Organizations paths the org id
    must be literal; for every other key the value must contain no wildcard.
    """
    if isinstance(value, Unknown):
        return True
    if not isinstance(value, str) or not value or is_all_wildcard(value):
        return False
    low = key.lower()
    if low in _ARN_KEYS:
        parts = value.split(":")
        if len(parts) >= 6 and parts[0] == "arn":
            if not parts[4]:  # no account field: an S3 bucket, whose name is global
                return parts[2] == "s3" and not has_wildcard(value)
            return not has_wildcard(parts[4])
        return not has_wildcard(value)
    if low in _ORG_PATH_KEYS:
        org = value.split("/", 1)[0]
        return bool(org) and not has_wildcard(org)
    if low == "aws:sourceip":
        return not value.strip().endswith("/0")  # 0.0.0.0/0, ::/0: every address
    return not has_wildcard(value)


def pins(cond: Condition) -> bool:
    """A condition that only lets requests through whose ``key`` has one of a few specific values."""
    return cond.requires_match and bool(cond.values) and all(is_specific_value(cond.key, v) for v in cond.values)


#: Condition keys that limit which principals (or which calling resources) a policy with
#: ``Principal: "*"`` lets in: trust policies (NHI_AWS_020) and resource policies (NHI_AWS_024).
CALLER_KEYS: tuple[str, ...] = (
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "sts:ExternalId",
)


def caller_constrained(stmt: Statement, keys: tuple[str, ...] = CALLER_KEYS) -> bool:
    """A condition pins the caller to specific principals, accounts or an org (one of
    ``keys`` required to have specific values, see :func:`pins`); or the ``Condition``
    block cannot be read, so the statement cannot be shown to let anyone in."""
    return stmt.conditions_unknown or any(pins(c) for c in stmt.conditions_on(*keys))


def grants_full_admin(stmt: Statement) -> bool:
    """``Allow`` of ``Action: "*"`` (or ``"*:*"``) on ``Resource: "*"`` (or with a ``NotResource``)."""
    return stmt.is_allow and stmt.on_all_resources and any(a in FULL_ACCESS_ACTIONS for a in stmt.actions)
