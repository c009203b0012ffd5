from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.evaluate import ALL, PATTERN, Path_, Permissions, escalation_paths
from scanner.iam.policy_lookup import INLINE_POLICY_OWNERS
from scanner.iam.principals import IDENTITY_TYPES, Principal, holders_of, policy_principal, principal_of
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown
from scanner.rules.base import Context, Rule, Violation

POLICY_TYPES = ("aws_iam_policy", *INLINE_POLICY_OWNERS)
#: methods described in full in one message; the rest are named by id
SHOWN = 4


class PrivilegeEscalation(Rule):
    """## What it does
    Flags an IAM role, user or group that can make itself more powerful: its
    permissions, combined across every policy that reaches it, include one of the
    publicly documented AWS privilege-escalation methods. The 50 methods (Rhino
    Security Labs' 21, the service-based ones published since by pathfinding.cloud
    and PMapper: CodeBuild, SageMaker notebooks, training and processing jobs, SSM
    `SendCommand`/`StartSession`, EC2 Instance Connect, CloudFormation
    `UpdateStack`, Glue, Data Pipeline, App Runner, ECS, Lambda, permissions
    boundary removal, ...) are data, listed with their actions and sources in
    docs/iam.md.

    Every policy that reaches the principal counts: `inline_policy` blocks,
    `aws_iam_{role,user,group}_policy`, every attachment resource,
    `managed_policy_arns`, a user's groups, and AWS managed policies, whose
    documents are vendored (`AWSLambda_FullAccess`, `AmazonEC2FullAccess`,
    `AmazonSSMFullAccess`, ...; see docs/iam.md). Wildcards are matched against
    the AWS action catalogue. Then:

    * an unconditional `Deny` that covers the action on the same resources, in any
      of those policies, cancels the `Allow`;
    * a readable permissions boundary must allow the action too; a boundary that
      cannot be read lowers the severity to medium;
    * `iam:PassRole` counts only for the services its `iam:PassedToService`
      condition names; `aws:MultiFactorAuthPresent = true` (a machine cannot
      present MFA), a pinned `iam:PermissionsBoundary`, or an `iam:PolicyARN`
      pinned to non-administrator policies remove the grant; any other condition
      that pins a key to specific values lowers the severity to medium;
    * the decisive grant (`iam:PassRole` for methods that pass a role, otherwise
      the action on the abused resource) must reach more than named resources:
      `iam:PassRole` on one role ARN, or `lambda:UpdateFunctionCode` on one
      function, is a deliberate grant and is not reported. Neither is a name
      pattern (`function:orders-*`, `role/orders-*`: a team's own resources),
      except for methods that write IAM principals directly (`iam:PutRolePolicy`
      on `role/ci-*` still reaches other roles), which are reported at medium.

    A principal that already holds `"*"` on `"*"`, or whose method comes only from
    `IAMFullAccess` or `PowerUserAccess`, is left to NHI_AWS_010/012. The
    finding is on the role, user or group, and names each method, the actions
    and the statements that enable it. A user is not reported for what one of its
    groups can do alone (the group is). A policy whose holders are outside the
    scan (`role = var.role_name`, or not attached at all) is reported on itself.

    ## Why is this bad?
    A principal that can escalate is, for an attacker, an administrator with one
    more step. `iam:PutRolePolicy` lets a CI role write `"*"` into its own policy;
    `iam:PassRole` on `*` with `lambda:CreateFunction` runs code as any role in the
    account. Chat assistants produce these combinations when asked to "let the
    pipeline create the Lambda and its role". Checkov's check misses about a third
    of the documented methods and ignores combinations across policies.

    ## Example
    ```hcl
    resource "aws_iam_role_policy" "deployer" {
      role = aws_iam_role.deployer.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect   = "Allow"
          Action   = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]
          Resource = "*"
        }]
      })
    }
    ```

    ## Use instead
    Pass only the execution role the functions need, only to Lambda:
    ```hcl
    resource "aws_iam_role_policy" "deployer" {
      role = aws_iam_role.deployer.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [
          {
            Effect   = "Allow"
            Action   = ["lambda:CreateFunction", "lambda:UpdateFunctionCode"]
            Resource = "arn:aws:lambda:eu-west-1:111122223333:function:orders-*"
          },
          {
            Effect    = "Allow"
            Action    = "iam:PassRole"
            Resource  = aws_iam_role.orders_lambda.arn
            Condition = { StringEquals = { "iam:PassedToService" = "lambda.amazonaws.com" } }
          },
        ]
      })
    }
    ```
    """

    id = "NHI_AWS_030"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "IAM principal has a privilege escalation path"
    fix = "Remove the escalation actions, or scope them to named resources (and iam:PassRole to one role and service)."
    resource_types = (*IDENTITY_TYPES, *POLICY_TYPES)
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type in IDENTITY_TYPES:
            yield from self._check(principal_of(res, ctx), ctx, None)
            return
        holders, others = holders_of(res, ctx)
        for holder in holders:
            if holder.context_only:
                # An unchanged holder is not reported on (a plan that updates only this policy):
                # the paths this policy takes part in are reported here, with the holder's name.
                yield from self._check(principal_of(holder, ctx), ctx, "policy", through=res)
        if not holders:
            yield from self._check(policy_principal(res, ctx, others), ctx, "policy")
        # a changed holder reports its own paths

    def _check(
        self, principal: Principal, ctx: Context, path: str | None, through: Resource | None = None
    ) -> Iterable[Violation]:
        perms = Permissions(principal)
        if perms.is_admin():
            return
        paths = escalation_paths(perms)
        if principal.kind == "user" and principal.groups:
            # paths a group has are reported on the group, unless it is unchanged context
            by_group = {p.method.id for g in principal.groups if not g.context_only for p in _group_paths(g, ctx)}
            paths = [p for p in paths if p.method.id not in by_group]
        if through is not None:
            paths = [p for p in paths if any(g.source.resource is through for group in p.grants for g in group)]
        if paths:
            yield _violation(principal, paths, path)


def _group_paths(group: Resource, ctx: Context) -> list[Path_]:
    perms = Permissions(principal_of(group, ctx))
    return [] if perms.is_admin() else escalation_paths(perms)


def severity_of(principal: Principal, path: Path_) -> Severity:
    if path.breadth == ALL and not path.constraint and not isinstance(principal.boundary, Unknown):
        return Severity(path.method.severity)
    return Severity.MEDIUM


def _violation(principal: Principal, paths: list[Path_], path: str | None) -> Violation:
    parts = []
    for p in paths[:SHOWN]:
        grants = [g for group in p.grants for g in group]
        where = ", ".join(dict.fromkeys(g.describe() for g in grants))
        limits = []
        if p.breadth == PATTERN:
            limits.append("on resources matched by a wildcard")
        if p.constraint:
            limits.append(f"under conditions on {p.constraint}")
        limit = f"; only {' and '.join(limits)}" if limits else ""
        parts.append(
            f"{p.method.name} [{p.method.id}; {p.method.source}] with {', '.join(p.actions)} "
            f"(from {where}{limit}), gaining {p.method.gains}"
        )
    if len(paths) > SHOWN:
        parts.append(f"and {len(paths) - SHOWN} more ({', '.join(p.method.id for p in paths[SHOWN:])})")
    boundary = ""
    if isinstance(principal.boundary, Unknown):
        boundary = f" (its permissions boundary, {principal.boundary_label}, cannot be read and may prevent this)"
    severity = max((severity_of(principal, p) for p in paths), key=lambda s: s.rank)
    count = f"{len(paths)} ways" if len(paths) > 1 else "one way"
    return Violation(
        f"privilege escalation: {principal.label} has {count} to gain permissions it was not given{boundary}: "
        + "; ".join(parts),
        path=path,
        key="escalation",
        severity=severity,
    )
