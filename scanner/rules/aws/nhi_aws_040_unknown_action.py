from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.catalog import catalog
from scanner.iam.policy_grammar import Statement, has_wildcard
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule
from scanner.rules.base import Context, Problem


def action_problem(action: object) -> str | None:
    """Why an ``Action``/``NotAction`` element names nothing AWS knows, or None."""
    if not isinstance(action, str) or action in ("*", "*:*"):
        return None
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        return "is not of the form service:Action"
    cat = catalog()
    if has_wildcard(service):
        return None if cat.matches_any(action) else "matches no AWS action"
    if not cat.has_service(service):
        return f"names no AWS service ('{service}' is not a service prefix)"
    if has_wildcard(name):
        return None if cat.matches_any(action) else f"matches no action of {service}"
    return None if cat.action(action) else f"is not an action of {service}"


class UnknownAction(StatementRule):
    """## What it does
    Flags an action in an IAM policy that does not exist in AWS: a misspelt or
    invented name (`s3:GetObjects`, `iam:PassRoles`, `s3:ReadObject`), an unknown
    service prefix, a wildcard that matches nothing (`ec2:Descibe*`), or a string
    without a `service:` part. `Action` and `NotAction` of every statement are
    checked, in permission policies (every shape NHI_AWS_010 reads) and in role
    trust policies. Names are matched case-insensitively against the vendored
    AWS action catalogue (see docs/iam.md for its source and version).

    Severity: high where the typo weakens a control (in a `Deny`, the action is
    not denied; in an `Allow` with `NotAction`, it is not excluded), medium where
    it only fails to grant (an `Allow`).

    ## Why is this bad?
    AWS accepts a policy with an action it does not know, and ignores it. Chat
    assistants invent plausible action names; the policy applies cleanly, and the
    permission silently does nothing. In a `Deny` that is a silent hole: the
    guardrail someone reviewed and approved blocks nothing. In an `Allow` the
    workload fails at run time, and the usual "fix" is a wildcard.

    ## Example
    A guardrail whose action name is misspelt, so it denies nothing:
    ```hcl
    resource "aws_iam_policy" "guardrail" {
      name = "deny-bucket-deletion"
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Deny", Action = "s3:DeleteBuckets", Resource = "*" }]
      })
    }
    ```

    ## Use instead
    ```hcl
    data "aws_iam_policy_document" "guardrail" {
      statement {
        effect    = "Deny"
        actions   = ["s3:DeleteBucket"]
        resources = ["*"]
      }
    }

    resource "aws_iam_policy" "guardrail" {
      name   = "deny-bucket-deletion"
      policy = data.aws_iam_policy_document.guardrail.json
    }
    ```
    Names are compared case-insensitively, as AWS compares them: `s3:deletebucket` is the same action.
    """

    id = "NHI_AWS_040"
    severity = Severity.HIGH
    title = "IAM policy names an action that does not exist"
    fix = "Correct the action name (see the AWS Service Authorization Reference); AWS ignores unknown actions."
    judges_trust_policy = True

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        bad = [(a, p) for a in (*stmt.actions, *stmt.not_actions) if (p := action_problem(a))]
        if not bad:
            return
        yield Problem(
            f"{stmt.label}: " + "; ".join(f"'{a}' {p}" for a, p in bad) + _consequence(stmt),
            Severity.HIGH if _weakens_control(stmt) else Severity.MEDIUM,
        )


def _weakens_control(stmt: Statement) -> bool:
    deny = isinstance(stmt.effect, str) and stmt.effect.lower() == "deny"
    return (deny and bool(stmt.actions)) or (stmt.is_allow and bool(stmt.not_actions))


def _consequence(stmt: Statement) -> str:
    if isinstance(stmt.effect, str) and stmt.effect.lower() == "deny" and stmt.actions:
        return " (AWS ignores it: this Deny does not block the intended action, a silent hole in the guardrail)"
    if stmt.is_allow and stmt.not_actions:
        return " (AWS ignores it: the action meant to be excluded from this Allow is granted)"
    return " (AWS ignores it: the permission is not granted)"
