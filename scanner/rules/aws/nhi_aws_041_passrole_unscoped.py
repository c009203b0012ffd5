from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.evaluate import ALL, PATTERN, statement_grants
from scanner.iam.policy_grammar import Statement, glob_match, pins
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule
from scanner.rules.base import Context, Problem

PASS_ROLE = "iam:PassRole"


def names_pass_role(stmt: Statement) -> bool:
    """``iam:PassRole`` written out, or a wildcard that spells part of it (``iam:Pass*``).

    ``iam:*`` and ``*`` grant it too; NHI_AWS_011 and NHI_AWS_010 report those.
    """
    return any(glob_match(a, PASS_ROLE) and "pass" in a.lower() for a in stmt.known_actions())


def passed_to_service(stmt: Statement) -> bool:
    return any(pins(c) for c in stmt.conditions_on("iam:PassedToService"))


class PassRoleUnscoped(StatementRule):
    """## What it does
    Flags an `Allow` of `iam:PassRole` (written out, or as `iam:Pass*`) that is
    not limited to named roles and services:

    * on `Resource = "*"` (or a `NotResource`, or `arn:...:role/*`) without an
      `iam:PassedToService` condition: high;
    * on `"*"` with `iam:PassedToService` pinned, or on a wildcard role pattern
      (`role/app-*`) without it: medium.

    `iam:PassRole` on specific role ARNs is not reported, with or without the
    condition. `iam:*` and `"*"` include `iam:PassRole` but are NHI_AWS_011's and
    NHI_AWS_010's. Whether the principal can use the passed role to escalate
    (with `lambda:CreateFunction`, `ec2:RunInstances`, ...) is NHI_AWS_030.

    ## Why is this bad?
    `iam:PassRole` decides which role a service the principal controls runs as. On
    `"*"` it is every role in the account, including administrator roles; any
    service that accepts a role (Lambda, EC2, ECS, Glue, CodeBuild, SageMaker,
    CloudFormation) then runs the principal's code with that role's permissions.
    `iam:PassedToService` at least limits which services can receive it.

    ## Example
    ```hcl
    resource "aws_iam_role_policy" "deployer" {
      name = "pass-roles"
      role = aws_iam_role.deployer.id
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }]
      })
    }
    ```

    ## Use instead
    Pass only the task's role, only to ECS:
    ```hcl
    resource "aws_iam_role_policy" "deployer" {
      name   = "pass-task-role"
      role   = aws_iam_role.deployer.id
      policy = data.aws_iam_policy_document.pass_task_role.json
    }

    data "aws_iam_policy_document" "pass_task_role" {
      statement {
        actions   = ["iam:PassRole"]
        resources = [aws_iam_role.task.arn]
        condition {
          test     = "StringEquals"
          variable = "iam:PassedToService"
          values   = ["ecs-tasks.amazonaws.com"]
        }
      }
    }
    ```
    To pass several roles, list their ARNs: `iam:PassedToService` alone, on `"*"`, is still reported (medium).
    """

    id = "NHI_AWS_041"
    severity = Severity.HIGH
    title = "iam:PassRole not limited to named roles and services"
    fix = "Limit iam:PassRole to the ARNs of the roles to pass, and add an iam:PassedToService condition."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not names_pass_role(stmt):
            return
        breadth = statement_grants(stmt, PASS_ROLE)
        if breadth is None or breadth < PATTERN:
            return
        service = passed_to_service(stmt)
        if breadth == PATTERN and service:
            return
        where = "every role" if breadth == ALL else "roles matched by a wildcard"
        cond = "only to the services iam:PassedToService names" if service else "to any service"
        yield Problem(
            f"{stmt.label} allows iam:PassRole on {where}, {cond}",
            Severity.HIGH if breadth == ALL and not service else Severity.MEDIUM,
        )
