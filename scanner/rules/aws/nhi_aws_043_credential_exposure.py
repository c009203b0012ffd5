from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.credential_actions import CREDENTIAL_ACTIONS
from scanner.iam.evaluate import ALL, pinning_keys, single_action_methods, statement_grants
from scanner.iam.policy_grammar import has_wildcard
from scanner.iam.policy_lookup import POLICY_TYPES, policies_of
from scanner.iam.policy_wording import describe_policy
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation


class CredentialExposure(Rule):
    """## What it does
    Flags an `Allow` of an action that returns credentials or secret values on
    every resource (`Resource = "*"`, an ARN whose name part is `*`, or a
    `NotResource`) with no condition that pins the request to specific values:
    `iam:CreateServiceSpecificCredential`, `iam:UpdateAccessKey`,
    `sts:AssumeRole`, `sts:GetFederationToken`, `redshift:GetClusterCredentials`,
    `rds-db:connect`, `ec2:GetPasswordData`, `secretsmanager:GetSecretValue`,
    `ssm:GetParameter(s)(ByPath)` and a few more (the list is in the rule's
    source), written out: wildcards (`secretsmanager:Get*`) are NHI_AWS_011's. Actions that
    are an escalation method on their own (`iam:CreateAccessKey`,
    `iam:CreateLoginProfile`, `iam:UpdateLoginProfile`) are reported by
    NHI_AWS_030 instead. Every listed action supports resource-level permissions,
    so `"*"` is always wider than needed.

    ## Why is this bad?
    These actions turn one identity's access into another's credentials: every
    secret in the account, every SSM parameter, a password for any database user,
    a session as any role whose trust policy admits the account. A leaked CI token
    with `secretsmanager:GetSecretValue` on `"*"` leaks every secret of every team.

    ## Example
    ```hcl
    data "aws_iam_policy_document" "app" {
      statement {
        actions   = ["secretsmanager:GetSecretValue", "sts:AssumeRole"]
        resources = ["*"]
      }
    }
    ```

    ## Use instead
    ```hcl
    data "aws_iam_policy_document" "app" {
      statement {
        actions   = ["secretsmanager:GetSecretValue"]
        resources = [aws_secretsmanager_secret.db.arn]
      }
      statement {
        actions   = ["sts:AssumeRole"]
        resources = ["arn:aws:iam::111122223333:role/reporting-reader"]
      }
    }
    ```
    """

    id = "NHI_AWS_043"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "Credential-returning action allowed on every resource"
    fix = "Limit the action to the ARNs of the secrets, parameters, roles or users the identity needs."
    resource_types = POLICY_TYPES
    cross_resource = True  # an unknown policy is read from the aws_iam_policy_document it references

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        skip = single_action_methods()
        wanted = {a.lower(): a for a in CREDENTIAL_ACTIONS if a.lower() not in skip}
        for path, statements in policies_of(res, ctx):
            for stmt in statements:
                if not stmt.is_allow or not stmt.resources or pinning_keys(stmt):
                    continue  # NotResource is NHI_AWS_042's
                named = {a.lower() for a in stmt.known_actions() if not has_wildcard(a)}
                found = [wanted[a] for a in named & set(wanted) if statement_grants(stmt, wanted[a]) == ALL]
                if found:
                    yield Violation(
                        f"{describe_policy(res, path, ctx)} {stmt.label} allows {', '.join(sorted(found))} "
                        "on every resource: credentials or secret values of every user, role, secret or parameter",
                        path=path,
                        key=f"{path}:{stmt.key}",
                    )
