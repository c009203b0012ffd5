from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.evaluate import cancelled_for_all_holders
from scanner.iam.policy_grammar import FULL_ACCESS_ACTIONS, Statement, grants_full_admin
from scanner.iam.principals import holders_of
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule
from scanner.rules.base import Context, Problem


class AdminPolicy(StatementRule):
    """## What it does
    Flags a policy statement that allows every action on every resource:
    `Effect = "Allow"`, `Action = "*"` (or `"*:*"`) and `Resource = "*"`. A statement
    with `NotResource` counts too: it allows everything except the listed resources.

    It reads every policy a grant or identity carries: `aws_iam_policy`,
    `aws_iam_role_policy`, `aws_iam_user_policy`, `aws_iam_group_policy` and
    `inline_policy` blocks of `aws_iam_role`, whether written as a JSON string, a
    heredoc, `jsonencode(...)` or a `data "aws_iam_policy_document"`. The data
    source itself is not reported (it grants nothing until used); the resource that
    consumes its `json` is. `Deny` statements and unknown actions are never reported,
    nor is a statement that an unconditional `Deny` of `"*"` cancels for every
    identity holding the policy (a quarantine policy attached next to it).
    In a plan, a policy whose document is read at apply is taken from the
    `aws_iam_policy_document` entry. `inline_policy` is computed on `aws_iam_role`:
    an update plan only reports inline policies the update adds or changes (the rest
    may be read back from `aws_iam_role_policy` resources, which carry their own
    findings).

    ## Why is this bad?
    That statement is the `AdministratorAccess` policy under another name: the
    identity can read every secret, create new users and keys, and delete the
    account's resources. A machine identity with it turns any leak of its credentials
    (a CI log, a compromised dependency) into a full account takeover (OWASP NHI5,
    Overprivileged NHI).

    ## Example
    ```hcl
    resource "aws_iam_role_policy" "deploy" {
      role   = aws_iam_role.deploy.id
      policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
    }
    ```

    ## Use instead
    List the actions and resources the workload needs:
    ```hcl
    resource "aws_iam_role_policy" "deploy" {
      role   = aws_iam_role.deploy.id
      policy = data.aws_iam_policy_document.deploy.json
    }

    data "aws_iam_policy_document" "deploy" {
      statement {
        actions   = ["s3:PutObject", "cloudfront:CreateInvalidation"]
        resources = ["${aws_s3_bucket.site.arn}/*", aws_cloudfront_distribution.site.arn]
      }
    }
    ```
    """

    id = "NHI_AWS_010"
    severity = Severity.CRITICAL
    title = "IAM policy grants full administrator access"
    fix = 'Replace Action "*" on Resource "*" with the specific actions and resource ARNs the identity needs.'

    def related(self, res: Resource, ctx: Context) -> list[tuple[Resource, str]]:
        found, _ = holders_of(res, ctx)
        return [(h, f"the {h.type.removeprefix('aws_iam_')} that holds this policy") for h in found]

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not grants_full_admin(stmt) or cancelled_for_all_holders(res, stmt, "*", ctx):
            return
        target = "NotResource (everything but a few ARNs)" if not stmt.resources else 'Resource "*"'
        action = next(a for a in stmt.actions if a in FULL_ACCESS_ACTIONS)
        yield Problem(f'grants full administrator access: {stmt.label} allows Action "{action}" on {target}')
