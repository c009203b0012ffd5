from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule


class StaticAccessKey(NeverExpiresRule):
    """## What it does
    Flags every `aws_iam_access_key`: a static AWS access key never expires.

    ## Why is this bad?
    Access keys are long-lived secrets (OWASP NHI7) that end up in CI variables, laptops
    and chat logs. They are the most common way AWS accounts are breached. The secret
    is also written to Terraform state unless `pgp_key` is set.

    ## Example
    ```hcl
    resource "aws_iam_user" "ci" { name = "ci" }
    resource "aws_iam_access_key" "ci" { user = aws_iam_user.ci.name }
    ```

    ## Use instead
    Federate instead of storing a key: an IAM role assumed through OIDC (GitHub
    Actions, GitLab, EKS IRSA) or IAM Roles Anywhere.
    ```hcl
    resource "aws_iam_role" "ci" {
      name               = "ci"
      assume_role_policy = data.aws_iam_policy_document.github_oidc.json
    }
    ```
    Its trust policy names the OIDC provider and, for GitHub, the repository (NHI_AWS_022).
    """

    id = "NHI_AWS_001"
    severity = Severity.HIGH
    title = "Static AWS access key never expires"
    fix = "Replace the access key with a role assumed via OIDC (GitHub Actions, EKS IRSA) or IAM Roles Anywhere."
    resource_types = ("aws_iam_access_key",)
    cross_resource = True
    inactive_when = ("status", "Inactive")

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        users = ctx.model.referenced(res, "user", "aws_iam_user")
        yield Violation(
            f"{res.address} creates a long-lived AWS access key that never expires",
            "user",
            related=[(u, "the IAM user the key belongs to") for u in users],
        )
