from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.catalog import catalog
from scanner.iam.policy_grammar import FULL_ACCESS_ACTIONS, Statement, grants_full_admin, has_wildcard, split_action
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import StatementRule
from scanner.rules.base import Context, Problem

#: Verbs whose actions only read. A wildcard after one of them (`ec2:Describe*`,
#: `s3:Get*`, `iam:List*`) is read-only shorthand.
READ_VERBS = ("batchget", "describe", "get", "list")
#: Services whose `Get*` actions return data or credentials rather than metadata
#: (object contents, secret values, parameters, items, function environments, STS tokens).
SENSITIVE_GET_SERVICES = frozenset({"dynamodb", "lambda", "s3", "secretsmanager", "ssm", "sts"})


def _read_verb(name: str) -> str | None:
    """The read verb a wildcard action name starts with, when the wildcard comes after it."""
    literal = name.split("*", 1)[0].split("?", 1)[0].lower()
    return next((v for v in READ_VERBS if literal.startswith(v)), None)


def wildcard_problem(action: object, all_resources: bool) -> bool:
    """Whether one ``Action`` element is a wildcard this rule reports (see the rule docs)."""
    if not isinstance(action, str) or not has_wildcard(action):
        return False
    if action in FULL_ACCESS_ACTIONS:
        return True  # on Resource "*" the statement is NHI_AWS_010's, which is checked first
    parts = split_action(action)
    if parts is None:
        return False  # not an IAM action (no `service:` prefix); AWS rejects it
    service, name = parts
    if not name.strip("*?"):
        return True  # `s3:*`, `iam:*`
    verb = _read_verb(name)
    if verb is None:
        return True  # `iam:Put*`, `iam:*Policy`, `ec2:Run*`
    if not all_resources:
        return False  # read-only on the resources the statement names
    if has_wildcard(service):
        return True  # `*:Get*` / `*:List*` on "*": reads across every service
    return verb in ("get", "batchget") and service.lower() in SENSITIVE_GET_SERVICES


class WildcardAction(StatementRule):
    """## What it does
    Flags an `Allow` statement whose actions use a wildcard that grants more than a
    workload needs (full administrator access, `"*"` on `"*"`, is NHI_AWS_010):

    * `"*"` on specific resources: every action of every service on them;
    * a whole service: `"s3:*"`, `"iam:*"`;
    * a wildcard in the action name that is not read-only: `"iam:Put*"`,
      `"iam:*Policy"`, `"ec2:Run*"`;
    * `NotAction` in an `Allow`: every action except the listed ones;
    * read-only wildcards (`Get*`, `BatchGet*`, `List*`, `Describe*` after the
      verb) only on `Resource = "*"`, and only when they read across every service
      (`"*:Get*"`, `"*:Describe*"`) or read data or credentials from a service whose
      `Get*` actions return them: S3 objects, Secrets Manager values, SSM
      parameters, DynamoDB items, Lambda environments, STS tokens
      (`"secretsmanager:Get*"`, `"s3:Get*"` on `"*"`).

    Precision decision: `ec2:Describe*`, `iam:List*`, `logs:Get*` or
    `cloudwatch:Get*` on `"*"` are not reported. Many `Describe`/`List` actions
    support no resource-level permissions at all, so `"*"` is the only correct
    resource for them, and metadata reads are what monitoring and deployment tools
    need. A read-only wildcard on named resources (`"s3:Get*"` on one bucket) is
    reported nowhere. Unknown actions and resources are treated as not wildcards
    and as specific, so they never cause a finding here.

    Reported once per statement, naming the offending actions. Policies are read
    as for NHI_AWS_010 (including the `inline_policy` update-plan handling).

    ## Why is this bad?
    A wildcard grants every action AWS adds to the service later, including the
    ones that escalate privileges: `iam:Put*` includes `iam:PutRolePolicy`, which
    lets the identity give itself administrator access; `s3:*` includes
    `s3:PutBucketPolicy` and `s3:DeleteBucket`. Overprivileged machine identities
    turn a leaked CI token into an account compromise (OWASP NHI5).

    ## Example
    ```hcl
    resource "aws_iam_policy" "deploy" {
      name = "deploy"
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = ["s3:*", "iam:Put*"], Resource = "*" }]
      })
    }
    ```

    ## Use instead
    Name each action, on the resources it needs:
    ```hcl
    resource "aws_iam_policy" "deploy" {
      name   = "deploy"
      policy = <<-EOT
        {
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::acme-artifacts/*"
          }]
        }
      EOT
    }
    ```
    """

    id = "NHI_AWS_011"
    severity = Severity.HIGH
    title = "IAM policy allows wildcard actions"
    fix = "List the individual actions the identity needs instead of a service or verb wildcard."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if not stmt.is_allow or grants_full_admin(stmt):
            return
        if not stmt.actions and stmt.not_actions:
            excluded = ", ".join(f"'{a}'" for a in stmt.not_actions if isinstance(a, str)) or "unknown actions"
            yield Problem(f"allows every action except {excluded} (Allow with NotAction) ({stmt.label})")
            return
        # A wildcard that matches no AWS action grants nothing; NHI_AWS_040 reports it.
        bad = [
            a for a in stmt.known_actions() if wildcard_problem(a, stmt.on_all_resources) and catalog().matches_any(a)
        ]
        if not bad:
            return
        shown = ", ".join(f"'{a}'" for a in dict.fromkeys(bad))
        yield Problem(f"allows wildcard action{'s' if len(bad) > 1 else ''} {shown} ({stmt.label})")
