from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from scanner.iam.credential_actions import CREDENTIAL_ACTIONS
from scanner.iam.evaluate import ALL, single_action_methods, statement_grants
from scanner.iam.policy_grammar import Statement, has_wildcard
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule, unconditional_allow
from scanner.rules.base import Context, Problem


class CredentialExposure(StatementRule):
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
    resource "aws_iam_role" "app" {
      name               = "app"
      assume_role_policy = data.aws_iam_policy_document.ecs_tasks.json
      inline_policy {
        name   = "read-config"
        policy = data.aws_iam_policy_document.read_config.json
      }
    }

    data "aws_iam_policy_document" "read_config" {
      statement {
        actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameter"]
        resources = ["*"]
      }
    }
    ```

    ## Use instead
    Name the secret and the parameter:
    ```hcl
    data "aws_iam_policy_document" "read_config" {
      statement {
        actions   = ["secretsmanager:GetSecretValue"]
        resources = [aws_secretsmanager_secret.db.arn]
      }
      statement {
        actions   = ["ssm:GetParameter"]
        resources = [aws_ssm_parameter.db_host.arn]
      }
    }

    resource "aws_iam_role_policy" "read_config" {
      name   = "read-config"
      role   = aws_iam_role.app.id
      policy = data.aws_iam_policy_document.read_config.json
    }
    ```
    `ssm:GetParameters` and `ssm:GetParametersByPath` are scoped the same way.
    """

    id = "NHI_AWS_043"
    severity = Severity.HIGH
    title = "Credential-returning action allowed on every resource"
    fix = "Limit the action to the ARNs of the secrets, parameters, roles or users the identity needs."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not unconditional_allow(stmt):
            return
        wanted = _wanted()
        named = {a.lower() for a in stmt.known_actions() if not has_wildcard(a)}
        found = [wanted[a] for a in named & set(wanted) if statement_grants(stmt, wanted[a]) == ALL]
        if not found:
            return
        yield Problem(
            f"{stmt.label} allows {', '.join(sorted(found))} on every resource: credentials or secret values of "
            "every user, role, secret or parameter"
        )


@cache
def _wanted() -> dict[str, str]:
    """The credential actions this rule reports, by lower-cased name (escalation methods are NHI_AWS_030's)."""
    skip = single_action_methods()
    return {a.lower(): a for a in CREDENTIAL_ACTIONS if a.lower() not in skip}
