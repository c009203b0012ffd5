from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.policy_grammar import Statement, grants_full_admin
from scanner.iam.policy_lookup import trust_policy_of
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import TRUST_POLICY, StatementRule
from scanner.rules.base import Context, Problem, Violation


class NotResourceOrPrincipalAllow(StatementRule):
    """## What it does
    Flags `Effect = "Allow"` combined with `NotResource` in a permission policy,
    or with `NotPrincipal` in a role's trust policy. (`Allow` with `NotAction` is
    NHI_AWS_011; `"*"` with `NotResource` is full admin, NHI_AWS_010.)

    ## Why is this bad?
    Both invert the grant: `NotResource` allows the actions on every resource
    except the listed ones, including resources created later and in other
    services' ARN spaces; `NotPrincipal` in an `Allow` admits every principal
    except the listed ones, anywhere. They are meant for `Deny` statements, and
    in an `Allow` they are almost always a mistake a reviewer does not notice.

    ## Example
    An `Allow` on everything but the audit bucket: the objects of every other bucket, in any account,
    including buckets created later:
    ```hcl
    data "aws_iam_policy_document" "app_data" {
      statement {
        actions       = ["s3:GetObject", "s3:PutObject"]
        not_resources = ["arn:aws:s3:::acme-audit-logs/*"]
      }
    }

    resource "aws_iam_policy" "app_data" {
      name   = "app-data"
      policy = data.aws_iam_policy_document.app_data.json
    }
    ```

    ## Use instead
    Name the bucket the application uses:
    ```hcl
    resource "aws_iam_policy" "app_data" {
      name        = "app-data"
      description = "Read and write the application's objects"
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "arn:aws:s3:::acme-app-data/*"
        }]
      })
    }
    ```
    """

    id = "NHI_AWS_042"
    severity = Severity.HIGH
    title = "Allow statement with NotResource or NotPrincipal"
    fix = "Name the resources (or principals) to allow; keep NotResource and NotPrincipal for Deny statements."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not stmt.is_allow or not stmt.not_resources or stmt.resources or grants_full_admin(stmt):
            return
        excluded = ", ".join(f"'{r}'" for r in stmt.not_resources if isinstance(r, str)) or "unknown ARNs"
        yield Problem(f"{stmt.label} allows its actions on every resource except {excluded} (Allow with NotResource)")

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield from super().check(res, ctx)
        for stmt in trust_policy_of(res, ctx):
            if stmt.is_allow and stmt.not_principal is not None:
                yield Violation(
                    f"role {res.address} {stmt.label} of its trust policy allows every principal except the ones "
                    "NotPrincipal lists (Allow with NotPrincipal)",
                    path=TRUST_POLICY,
                    key=f"{TRUST_POLICY}:{stmt.key}",
                )
