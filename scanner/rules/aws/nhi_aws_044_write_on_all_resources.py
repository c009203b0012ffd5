from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from scanner.iam.catalog import PERMISSIONS, WRITE, catalog
from scanner.iam.credential_actions import CREDENTIAL_ACTIONS
from scanner.iam.evaluate import ALL, single_action_methods, statement_grants
from scanner.iam.policy_grammar import Statement, has_wildcard
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule, unconditional_allow
from scanner.rules.base import Context, Problem

#: Writes that AWS's own execution-role policies (AWSLambdaBasicExecutionRole,
#: AWSLambdaVPCAccessExecutionRole) grant on "*": telemetry and Lambda's VPC plumbing.
EXEMPT = frozenset(
    a.lower()
    for a in (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    )
)


class WriteOnAllResources(StatementRule):
    """## What it does
    Flags an `Allow` statement that grants, on every resource (`Resource = "*"`,
    an ARN whose name part is `*`, or a `NotResource`) and with no condition
    pinning the request, an action that:

    * is written out (no wildcard: wildcard actions are NHI_AWS_011's),
    * has the access level *Write* (medium) or *Permissions management* (high) in
      the AWS action catalogue, and
    * supports resource-level permissions, so a narrower `Resource` is possible.

    Actions that only work on `"*"` (`ec2:RunInstances` supports resources, but
    `ecr:GetAuthorizationToken` does not), and telemetry writes that AWS's own
    Lambda execution policies grant on `"*"` (`logs:CreateLogStream`,
    `logs:PutLogEvents`, ENI management for VPC functions) are not reported.
    `iam:PassRole`, credential-returning actions and single-action escalation
    methods have their own rules (NHI_AWS_041, 043, 030).

    ## Why is this bad?
    `s3:PutBucketPolicy`, `kms:PutKeyPolicy`, `lambda:AddPermission` or
    `dynamodb:DeleteTable` on `"*"` reach every bucket, key, function and table in
    the account, including other teams' and those created later. The catalogue
    shows each of these can be limited to named ARNs; `"*"` is a shortcut that a
    leaked credential turns into a blast radius.

    ## Example
    ```hcl
    resource "aws_iam_role_policy" "uploader" {
      role   = aws_iam_role.uploader.id
      policy = <<-EOT
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutBucketPolicy"], "Resource": "*"}]}
      EOT
    }
    ```

    ## Use instead
    Name the bucket; `s3:PutBucketPolicy` belongs to whoever manages the bucket, not to the uploader:
    ```hcl
    resource "aws_iam_role_policy" "uploader" {
      role = aws_iam_role.uploader.id
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = "s3:PutObject", Resource = "${aws_s3_bucket.uploads.arn}/*" }]
      })
    }
    ```
    """

    id = "NHI_AWS_044"
    severity = Severity.HIGH
    title = "Write or permissions-management action on every resource"
    fix = "Replace Resource \"*\" with the ARNs the actions need; the catalogue shows they support resource scoping."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not unconditional_allow(stmt):
            return
        skip, cat = _skipped(), catalog()
        found: dict[str, str] = {}
        for action in stmt.known_actions():
            info = cat.action(action) if not has_wildcard(action) else None
            if info is None or info.name.lower() in skip or info.level not in (WRITE, PERMISSIONS):
                continue
            if info.resource_scoped and statement_grants(stmt, info.name) == ALL:
                found[info.name] = info.level
        if not found:
            return
        high = any(level == PERMISSIONS for level in found.values())
        yield Problem(
            f"{stmt.label} allows "
            + ", ".join(f"{a} ({lvl.lower()})" for a, lvl in found.items())
            + " on every resource, though each can be limited to named ARNs",
            Severity.HIGH if high else Severity.MEDIUM,
        )


@cache
def _skipped() -> frozenset[str]:
    """Lower-cased actions other rules report (escalation methods, credential reads, iam:PassRole) or
    that AWS's own execution roles grant."""
    return single_action_methods() | {a.lower() for a in CREDENTIAL_ACTIONS} | EXEMPT | {"iam:passrole"}
