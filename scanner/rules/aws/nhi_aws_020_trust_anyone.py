from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.policy_grammar import Statement, caller_constrained
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import TrustStatementRule
from scanner.rules.base import Context, Problem


class TrustAnyone(TrustStatementRule):
    """## What it does
    Flags an `aws_iam_role` whose trust policy (`assume_role_policy`) lets any AWS
    principal assume it: an `Allow` of `sts:AssumeRole*` (or a wildcard covering it)
    to `Principal = "*"` or `{"AWS": "*"}`, without a condition that pins the caller.

    A condition pins the caller when it requires (`StringEquals`, `StringLike`,
    `ArnEquals`, `ArnLike`, without `IfExists` or `ForAllValues:`) one of
    `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalArn`,
    `aws:PrincipalAccount`, `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID`,
    `aws:SourceOrgPaths` or `sts:ExternalId` to have specific values: no `"*"`, no
    wildcard in an ARN's account field. A value that is unknown until apply
    (`var.org_id`) counts as specific, and so does a condition block that cannot be
    read: the rule only reports what it can prove.

    ## Why is this bad?
    `Principal: "*"` in a trust policy means every AWS account in the world, not
    every principal in yours. Anyone can call `sts:AssumeRole` on the role and get
    its credentials; scanners look for exactly these roles. It is a classic result
    of pasting a policy that "fixes" an AccessDenied error.

    ## Example
    ```hcl
    resource "aws_iam_role" "reports" {
      name = "shared-reports"
      assume_role_policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }]
      })
    }
    ```

    ## Use instead
    Name the principal (`Principal = { AWS = aws_iam_role.reader.arn }`), or keep `"*"` and pin the
    organization:
    ```hcl
    resource "aws_iam_role" "reports" {
      name = "shared-reports"
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = { AWS = "*" }
          Action    = "sts:AssumeRole"
          Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } }
        }]
      })
    }
    ```
    """

    id = "NHI_AWS_020"
    severity = Severity.CRITICAL
    title = "IAM role can be assumed by any AWS principal"
    fix = "Name the trusted principal in the trust policy, or add an aws:PrincipalOrgID / aws:PrincipalArn condition."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not stmt.principal_is_anyone or caller_constrained(stmt):
            return
        yield Problem(
            f"can be assumed by any AWS principal in any account: {stmt.label} of its trust policy allows "
            'Principal "*" with no condition pinning the caller\'s org, account or ARN'
        )
