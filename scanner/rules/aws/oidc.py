"""Web identity (OIDC) trust of IAM roles, shared by NHI_AWS_022 (GitHub) and NHI_AWS_023 (GitLab,
Terraform Cloud, EKS): which issuer a statement trusts, and how its subject conditions read."""

from __future__ import annotations

from scanner.iam.github_claims import EXACT, IAM_LIKE
from scanner.iam.policy_grammar import Condition, Statement
from scanner.iam.policy_lookup import referenced_behind
from scanner.model.resource import Resource
from scanner.model.values import is_unknown
from scanner.rules.aws.statement_rule import TRUST_POLICY, TrustStatementRule
from scanner.rules.base import Context

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


class WebIdentityTrustRule(TrustStatementRule):
    """A rule about the statements of a role's trust policy that let tokens of an OIDC issuer in."""

    cross_resource = True  # the OIDC provider and the policy document are other resources
    assumed_with = (WEB_IDENTITY,)


def federated(stmt: Statement) -> list[str]:
    """The ``Federated`` principals written literally (an OIDC provider's ARN, or its host)."""
    return [p for p in stmt.principal_ids("Federated") if isinstance(p, str)]


def provider_names(stmt: Statement, res: Resource, ctx: Context) -> list[list[str]]:
    """The ``url`` and ``arn`` (those known) of each ``aws_iam_openid_connect_provider`` the statement
    trusts through a ``Federated`` principal known only at apply (``aws_iam_openid_connect_provider.x.arn``);
    nothing when every principal is written literally."""
    if not any(is_unknown(p) for p in stmt.principal_ids("Federated")):
        return []
    providers = referenced_behind(res, TRUST_POLICY, ctx, "aws_iam_openid_connect_provider")
    return [[v for v in (p.get("url"), p.get("arn")) if isinstance(v, str)] for p in providers]


def wildcards(cond: Condition) -> str:
    """``StringLike`` matches ``*`` and ``?``; ``StringEquals`` compares them as characters."""
    return IAM_LIKE if "like" in cond.base_operator.lower() else EXACT


def lists_values(cond: Condition) -> bool:
    """The condition requires the claim to be one of its values (it is not negated, ``Null`` or empty).

    The issuers always send the claims these rules read, so ``IfExists`` and ``ForAllValues:`` still
    require a match.
    """
    return not cond.negated and cond.base_operator != "Null" and bool(cond.values)
