"""Kubernetes RBAC roles as the K8S rules read them: the ``rule`` blocks of a Role or ClusterRole, and
a family base for the rules that judge one block at a time (NHI_K8S_010, NHI_K8S_011)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.model.values import as_list, is_unknown, iter_blocks
from scanner.rules.base import Context, Problem, Rule, Violation

ROLE_TYPES: tuple[str, ...] = (
    "kubernetes_role",
    "kubernetes_role_v1",
    "kubernetes_cluster_role",
    "kubernetes_cluster_role_v1",
)
CLUSTER_ROLE_TYPES = ROLE_TYPES[2:]
#: the attributes of a ``rule`` block, in :class:`RbacRule` field order
FIELDS = ("api_groups", "resources", "verbs", "resource_names", "non_resource_urls")


@dataclass(frozen=True)
class RbacRule:
    """One ``rule`` block: its known strings (resources and verbs lower-cased, as RBAC compares them)."""

    groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    names: frozenset[str]
    urls: frozenset[str]
    #: the attributes (of :data:`FIELDS`) with a part known only at apply; their other parts are read
    unknown: frozenset[str] = frozenset()


def rbac_rule(block: Mapping[str, Any]) -> RbacRule:
    known: list[list[str]] = []
    unknown: set[str] = set()
    for field in FIELDS:
        items = as_list(block.get(field))
        known.append([v for v in items if isinstance(v, str)])
        if any(is_unknown(v) for v in items):
            unknown.add(field)
    groups, resources, verbs, names, urls = known
    return RbacRule(
        frozenset(groups),
        frozenset(r.lower() for r in resources),
        frozenset(v.lower() for v in verbs),
        frozenset(names),
        frozenset(urls),
        frozenset(unknown),
    )


def read_rules(value: Any) -> list[RbacRule] | None:
    """The fully known rule blocks of a role; None when the blocks themselves are unknown.

    A block with an unknown field is left out: it is neither an addition nor a cover.
    """
    if is_unknown(value):
        return None
    return [rule for rule in map(rbac_rule, iter_blocks(value)) if not rule.unknown]


def role_kind(res: Resource) -> str:
    return "ClusterRole" if "cluster_role" in res.type else "Role"


class RoleBlockRule(Rule):
    """A rule about each ``rule`` block of a Role or ClusterRole on its own: messages name the block
    (``ClusterRole kubernetes_cluster_role.ci rule #2 grants ...``), the finding is on it."""

    category = Category.LEAST_PRIVILEGE
    resource_types = ROLE_TYPES

    def problems(self, res: Resource, rule: RbacRule, ctx: Context) -> Iterable[Problem]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for i, block in enumerate(iter_blocks(res.get("rule"))):
            for problem in self.problems(res, rbac_rule(block), ctx):
                yield Violation(
                    f"{role_kind(res)} {res.address} rule #{i + 1} grants {problem.text}",
                    f"rule.{i}",
                    key=f"rule.{i}" + (f":{problem.key}" if problem.key else ""),
                    severity=problem.severity,
                )
