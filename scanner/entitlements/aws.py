"""AWS: what an IAM role or user can do, from every policy that reaches it.

The policies come from :func:`scanner.iam.principals.principal_of` (inline policies, policy
resources, attachments, ``managed_policy_arns``, a user's groups, the permissions boundary). Each
statement becomes one line per action and resource:

* ``s3:GetObject on arn:aws:s3:::raw-bucket/*``, ``deny iam:* on *``,
  ``all actions except iam:* on *``, with ``if StringEquals aws:SourceVpc = vpc-1`` for conditions;
* ``trust sts:AssumeRoleWithWebIdentity by Federated arn:...`` for the trust policy;
* ``boundary s3:* on *`` or ``boundary policy arn:...`` for the permissions boundary;
* ``policy arn:aws:iam::aws:policy/ReadOnlyAccess`` for an AWS managed policy. It is named by its ARN,
  not expanded: AWS maintains its document, and the vendored copy covers only the policies the
  escalation analysis needs, so expanding some and not others would change digests when nhi-guard
  vendors one more. A customer policy outside the scan is named by its ARN too.

A document or statement known only at apply is a line of its own, never left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.entitlements.grants import value_text, values_text
from scanner.iam.catalog import catalog
from scanner.iam.policy_document import render
from scanner.iam.policy_grammar import Condition, Statement, policy_document
from scanner.iam.policy_lookup import statements_at, trust_policy_of
from scanner.iam.principals import OpaquePolicy, PolicySource, principal_of
from scanner.model.values import PartialJson, Unknown, as_list, is_missing

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

TYPES = ("aws_iam_role", "aws_iam_user")


def lines(res: Resource, ctx: Context) -> Iterator[str]:
    principal = principal_of(res, ctx)
    for source in principal.policies:
        yield from _source_lines(source, "", ctx)
    for opaque in principal.opaque:
        yield _opaque_line(opaque, "")
    for boundary in principal.boundary_sources:
        if isinstance(boundary, OpaquePolicy):
            yield _opaque_line(boundary, "boundary ")
        else:
            yield from _source_lines(boundary, "boundary ", ctx)
    if res.type == "aws_iam_role":
        for stmt in trust_policy_of(res, ctx):
            yield from statement_lines(stmt, "trust ", trust=True)
        yield from document_gaps(res, "assume_role_policy", ctx, "trust ")


def _source_lines(source: PolicySource, prefix: str, ctx: Context) -> Iterator[str]:
    if source.aws_managed or source.resource is None:
        yield f"{prefix}policy {source.arn or source.label}"
        return
    for stmt in source.statements:
        yield from statement_lines(stmt, prefix)
    yield from document_gaps(source.resource, source.path, ctx, prefix)


def _opaque_line(policy: OpaquePolicy, prefix: str) -> str:
    return f"{prefix}policy {value_text(policy.name)}"


def statement_lines(stmt: Statement, prefix: str = "", trust: bool = False) -> Iterator[str]:
    """One line per action (and resource, or principal for a trust policy) of one statement."""
    if stmt.is_allow:
        effect = ""
    elif isinstance(stmt.effect, str) and stmt.effect.lower() == "deny":
        effect = "deny "
    else:  # unknown, or not a valid effect: shown as it is
        effect = f"effect {value_text(stmt.effect)} "
    if stmt.actions:
        actions = [action_text(a) for a in stmt.actions]
    elif stmt.not_actions:
        actions = ["all actions except " + values_text(action_text(a) for a in stmt.not_actions)]
    else:
        actions = ["(no action)"]
    if trust:
        targets = _principals(stmt)
        joiner = " by "
    elif stmt.resources:
        targets = [value_text(r) for r in stmt.resources]
        joiner = " on "
    elif stmt.not_resources:
        targets = ["all resources except " + values_text(stmt.not_resources)]
        joiner = " on "
    else:
        targets = ["(no resource)"]
        joiner = " on "
    condition = conditions_text(stmt.conditions, stmt.conditions_unknown)
    for action in actions:
        for target in targets:
            yield f"{prefix}{effect}{action}{joiner}{target}{condition}"


def action_text(action: Any) -> str:
    """IAM action names are case-insensitive: a catalogued action is spelled as AWS spells it, the
    service prefix of any other one in lower case."""
    if not isinstance(action, str):
        return value_text(action)
    info = catalog().action(action) if "*" not in action and "?" not in action else None
    if info is not None:
        return info.name
    service, sep, name = action.partition(":")
    return f"{service.lower()}{sep}{name}" if sep else action


def conditions_text(conditions: tuple[Condition, ...], unknown: bool = False) -> str:
    parts = sorted(
        f"{c.operator} {c.key} {'=' if len(c.values) == 1 else 'in'} {values_text(c.values) if c.values else '[]'}"
        for c in conditions
    )
    if unknown:
        parts.append("(unknown condition)")
    return " if " + " and ".join(parts) if parts else ""


def _principals(stmt: Statement) -> list[str]:
    if stmt.not_principal is not None:
        return ["anyone except " + ", ".join(_principal_text(stmt.not_principal))]
    return _principal_text(stmt.principal)


def _principal_text(principal: Any) -> list[str]:
    if principal is None:
        return ["(no principal)"]
    if principal == "*":
        return ["anyone"]
    if isinstance(principal, Unknown):
        return [value_text(principal)]
    out = []
    for kind, ids in sorted(principal.items()):
        for ident in ids or ("(none)",):
            out.append(f"{kind} {value_text(ident)}")
    return out


def document_gaps(res: Resource, path: str, ctx: Context, prefix: str) -> Iterator[str]:
    """Lines for the parts of a policy document that cannot be read before apply: the whole
    document, or statements computed at apply (a ``dynamic "statement"``, ``Statement = var.x``)."""
    value = res.get(path)
    if is_missing(value):
        return
    if isinstance(value, Unknown) and not isinstance(value, PartialJson):
        docs = [d for d in ctx.model.referenced(res, path, "aws_iam_policy_document") if d.mode == "data"]
        if len(docs) != 1:
            yield f"{prefix}statements {value_text(value)}"
            return
        value = PartialJson(render(docs[0].attrs), docs[0].address)
    doc = policy_document(value)
    if doc is None:
        if not statements_at(res, path, ctx):
            yield f"{prefix}statements (unknown: a policy document that is not JSON)"
        return
    raw = doc.get("Statement")
    for item in as_list(raw):
        if not isinstance(item, Mapping):
            yield f"{prefix}statements {value_text(item)}"
