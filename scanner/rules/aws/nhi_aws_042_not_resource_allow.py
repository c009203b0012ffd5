from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.policy_grammar import grants_full_admin
from scanner.iam.policy_lookup import POLICY_TYPES, policies_of, trust_policy_of
from scanner.iam.policy_wording import describe_policy
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation


class NotResourceOrPrincipalAllow(Rule):
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
    ```hcl
    data "aws_iam_policy_document" "app" {
      statement {
        actions       = ["s3:GetObject", "s3:PutObject"]
        not_resources = ["arn:aws:s3:::acme-audit-logs/*"]
      }
    }
    ```

    ## Use instead
    ```hcl
    data "aws_iam_policy_document" "app" {
      statement {
        actions   = ["s3:GetObject", "s3:PutObject"]
        resources = ["arn:aws:s3:::acme-app-data/*"]
      }
    }
    ```
    """

    id = "NHI_AWS_042"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "Allow statement with NotResource or NotPrincipal"
    fix = "Name the resources (or principals) to allow; keep NotResource and NotPrincipal for Deny statements."
    resource_types = POLICY_TYPES
    cross_resource = True  # an unknown policy is read from the aws_iam_policy_document it references

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for path, statements in policies_of(res, ctx):
            for stmt in statements:
                if stmt.is_allow and stmt.not_resources and not stmt.resources and not grants_full_admin(stmt):
                    excluded = ", ".join(f"'{r}'" for r in stmt.not_resources if isinstance(r, str)) or "unknown ARNs"
                    yield Violation(
                        f"{describe_policy(res, path, ctx)} {stmt.label} allows its actions on every resource "
                        f"except {excluded} (Allow with NotResource)",
                        path=path,
                        key=f"{path}:{stmt.key}",
                    )
        for stmt in trust_policy_of(res, ctx):
            if stmt.is_allow and stmt.not_principal is not None:
                yield Violation(
                    f"role {res.address} {stmt.label} of its trust policy allows every principal except the ones "
                    "NotPrincipal lists (Allow with NotPrincipal)",
                    path="assume_role_policy",
                    key=f"assume_role_policy:{stmt.key}",
                )
