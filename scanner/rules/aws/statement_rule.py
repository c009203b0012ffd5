"""Family bases of the AWS IAM rules that judge one policy statement at a time.

The walk over a resource's policies, how messages name the policy, and a finding's path and key
are the same for every such rule; a rule only says what is wrong with one statement
(:meth:`StatementRule.problems`), if anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from scanner.iam.evaluate import pinning_keys
from scanner.iam.policy_grammar import ASSUME_ROLE_ACTIONS, Statement
from scanner.iam.policy_lookup import POLICY_TYPES, policies_of, trust_policy_of
from scanner.iam.policy_wording import describe_policy
from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.rules.base import Context, Problem, Rule, Violation

TRUST_POLICY = "assume_role_policy"


class StatementRule(Rule):
    """A rule about single statements of the permission policies an AWS resource carries:
    ``aws_iam_policy``, ``aws_iam_{role,user,group}_policy`` and a role's inline policies (and, with
    ``judges_trust_policy``, a role's trust policy too).

    A finding is on the policy's attribute, keyed by the attribute and the statement, so two
    statements of one policy are two findings.
    """

    category = Category.LEAST_PRIVILEGE
    resource_types = POLICY_TYPES
    cross_resource = True  # an unknown policy is read from the aws_iam_policy_document it references
    #: also judge the statements of a role's trust policy, named ``trust policy of role ...``
    judges_trust_policy: ClassVar[bool] = False

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        raise NotImplementedError

    def related(self, res: Resource, ctx: Context) -> list[tuple[Resource, str]]:
        """Other resources every finding on ``res`` involves (reports show them as related locations)."""
        return []

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        related = self.related(res, ctx)
        for path, statements in self._policies(res, ctx):
            for stmt in statements:
                for problem in self.problems(res, stmt, ctx):
                    yield Violation(
                        f"{_policy_name(res, path, ctx)} {problem.text}",
                        path=path,
                        key=f"{path}:{stmt.key}",
                        severity=problem.severity,
                        related=list(related),
                    )

    def _policies(self, res: Resource, ctx: Context) -> Iterator[tuple[str, list[Statement]]]:
        yield from policies_of(res, ctx)
        if self.judges_trust_policy:
            yield TRUST_POLICY, trust_policy_of(res, ctx)  # empty for anything but a role


def unconditional_allow(stmt: Statement) -> bool:
    """An ``Allow`` that names its ``Resource`` (``NotResource`` is NHI_AWS_042's) under no condition that
    pins it to specific values, so each action's breadth is that of its resources."""
    return stmt.is_allow and bool(stmt.resources) and not pinning_keys(stmt)


def _policy_name(res: Resource, path: str, ctx: Context) -> str:
    return f"trust policy of role {res.address}" if path == TRUST_POLICY else describe_policy(res, path, ctx)


class TrustStatementRule(Rule):
    """A rule about single statements of an IAM role's trust policy (``assume_role_policy``): those
    that allow one of the ``assumed_with`` actions. Messages start with the role."""

    category = Category.LEAST_PRIVILEGE
    resource_types = ("aws_iam_role",)
    cross_resource = True  # an unknown trust policy is read from the aws_iam_policy_document it references
    #: the statements judged are the ones that allow one of these actions
    assumed_with: ClassVar[tuple[str, ...]] = ASSUME_ROLE_ACTIONS

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for stmt in trust_policy_of(res, ctx):
            if not stmt.allows(*self.assumed_with):
                continue
            for problem in self.problems(res, stmt, ctx):
                yield Violation(
                    f"role {res.address} {problem.text}", path=TRUST_POLICY, key=stmt.key, severity=problem.severity
                )
