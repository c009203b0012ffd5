from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.policy_grammar import ASSUME_ROLE_ACTIONS, caller_constrained
from scanner.iam.policy_lookup import trust_policy_of
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation


class TrustAnyone(Rule):
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
    data "aws_iam_policy_document" "trust" {
      statement {
        actions = ["sts:AssumeRole"]
        principals {
          type        = "AWS"
          identifiers = ["*"]
        }
      }
    }
    ```

    ## Use instead
    Name the principal, or keep `"*"` and pin the organization:
    ```hcl
    data "aws_iam_policy_document" "trust" {
      statement {
        actions = ["sts:AssumeRole"]
        principals {
          type        = "AWS"
          identifiers = ["*"]
        }
        condition {
          test     = "StringEquals"
          variable = "aws:PrincipalOrgID"
          values   = ["o-a1b2c3d4e5"]
        }
      }
    }
    ```
    """

    id = "NHI_AWS_020"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "IAM role can be assumed by any AWS principal"
    fix = "Name the trusted principal in the trust policy, or add an aws:PrincipalOrgID / aws:PrincipalArn condition."
    resource_types = ("aws_iam_role",)
    cross_resource = True  # an unknown trust policy is read from the aws_iam_policy_document it references

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for stmt in trust_policy_of(res, ctx):
            if stmt.principal_is_anyone and stmt.allows(*ASSUME_ROLE_ACTIONS) and not caller_constrained(stmt):
                yield Violation(
                    f"role {res.address} can be assumed by any AWS principal in any account: {stmt.label} of its "
                    'trust policy allows Principal "*" with no condition pinning the caller\'s org, account or ARN',
                    path="assume_role_policy",
                    key=stmt.key,
                )
