from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.catalog import LIST, READ, catalog
from scanner.iam.policy_grammar import CALLER_KEYS, Statement, caller_constrained
from scanner.iam.policy_lookup import statements_at, unchanged_in_update
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown, is_missing
from scanner.rules.base import Context, Rule, Violation

#: Resource policies that guard secrets or keys: anyone in is critical whatever the action.
_SECRETS = {"aws_secretsmanager_secret_policy", "aws_secretsmanager_secret", "aws_kms_key"}

#: resource type -> (noun for messages, the standalone policy type that may carry it instead,
#: the attribute of that standalone type naming this resource)
RESOURCE_POLICIES: dict[str, tuple[str, str | None, str | None]] = {
    "aws_s3_bucket_policy": ("bucket policy", None, None),
    "aws_s3_bucket": ("bucket policy", "aws_s3_bucket_policy", "bucket"),
    "aws_kms_key": ("key policy", None, None),
    "aws_sqs_queue_policy": ("queue policy", None, None),
    "aws_sqs_queue": ("queue policy", "aws_sqs_queue_policy", "queue_url"),
    "aws_sns_topic_policy": ("topic policy", None, None),
    "aws_sns_topic": ("topic policy", "aws_sns_topic_policy", "arn"),
    "aws_secretsmanager_secret_policy": ("secret policy", None, None),
    "aws_secretsmanager_secret": ("secret policy", "aws_secretsmanager_secret_policy", "secret_arn"),
    "aws_ecr_repository_policy": ("repository policy", None, None),
}

#: Beyond the trust-policy keys (NHI_AWS_020): conditions that pin the caller's network,
#: its identity, or the AWS service acting for it, as resource policies commonly do
#: (the default SNS topic policy pins `AWS:SourceOwner`, KMS's default grants to `"*"`
#: pin `kms:CallerAccount`).
RESOURCE_CALLER_KEYS: tuple[str, ...] = (
    *CALLER_KEYS,
    "aws:SourceOwner",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceIp",
    "aws:userid",
    "aws:username",
    "aws:PrincipalServiceName",
    "aws:PrincipalIsAWSService",
    "kms:CallerAccount",
)

_LAMBDA_CALLER_ATTRS = ("source_arn", "source_account", "principal_org_id")


class ResourcePolicyAnyone(Rule):
    """## What it does
    Flags a resource-based policy that lets anyone in: an `Allow` to
    `Principal = "*"` or `{"AWS": "*"}` without a condition that pins the caller.
    It reads the policies of S3 buckets (`aws_s3_bucket_policy`, the legacy
    `aws_s3_bucket.policy`), KMS keys (`aws_kms_key.policy`), SQS queues
    (`aws_sqs_queue_policy`, `aws_sqs_queue.policy`), SNS topics
    (`aws_sns_topic_policy`, `aws_sns_topic.policy`), Secrets Manager secrets
    (`aws_secretsmanager_secret_policy`, `aws_secretsmanager_secret.policy`) and
    ECR repositories (`aws_ecr_repository_policy`), and `aws_lambda_permission`
    with `principal = "*"` and none of `source_arn`, `source_account`,
    `principal_org_id`.

    The conditions that pin the caller are NHI_AWS_020's (`aws:PrincipalOrgID`,
    `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:SourceAccount`,
    `aws:SourceArn`, `aws:SourceOrgID`, ...), plus the ones resource policies use:
    `aws:SourceOwner`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceIp`,
    `aws:userid`, `aws:username`, `aws:PrincipalServiceName`,
    `aws:PrincipalIsAWSService` and `kms:CallerAccount`. A value unknown until
    apply, or a condition block that cannot be read, counts as pinning.

    Severity: critical for secrets and KMS keys (any action); high when anyone
    may write, publish, invoke, change the policy, or do anything (`*`,
    `NotAction`); medium when anyone may only read or list (a public bucket or
    image repository). A Lambda function URL made public on purpose
    (`action = "lambda:InvokeFunctionUrl"` with `function_url_auth_type = "NONE"`)
    is not reported. When a standalone policy resource in the scan carries a
    bucket's, queue's, topic's or secret's policy, only it is read; an update plan
    that carries an unchanged policy over is not reported again.

    ## Why is this bad?
    `Principal: "*"` means every AWS account in the world, and often no account at
    all: anonymous requests. A secret or key whose policy admits `"*"` is readable
    or usable by anyone who learns its ARN; a queue or topic anyone can write
    into feeds attacker input to the consumers and their roles; a Lambda
    permission for `"*"` lets any account invoke the function with its role.
    These grants appear when a chat answer "fixes" an AccessDenied between two
    services by widening the resource policy instead of naming the caller.

    ## Example
    ```hcl
    resource "aws_secretsmanager_secret_policy" "db" {
      secret_arn = aws_secretsmanager_secret.db.arn
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = "*"
          Action    = "secretsmanager:GetSecretValue"
          Resource  = "*"
        }]
      })
    }
    ```

    ## Use instead
    Name the principal that needs access (or pin the organization):
    ```hcl
    resource "aws_secretsmanager_secret_policy" "db" {
      secret_arn = aws_secretsmanager_secret.db.arn
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Principal = { AWS = aws_iam_role.app.arn }
          Action    = "secretsmanager:GetSecretValue"
          Resource  = "*"
        }]
      })
    }
    ```
    """

    id = "NHI_AWS_024"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "Resource policy lets any AWS principal in"
    fix = "Name the principals in the resource policy, or pin aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount."
    resource_types = (*RESOURCE_POLICIES, "aws_lambda_permission")
    cross_resource = True  # a standalone policy resource carries the parent's policy; deferred policy documents

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type == "aws_lambda_permission":
            yield from _lambda_permission(res)
            return
        noun, standalone, attr = RESOURCE_POLICIES[res.type]
        if standalone and attr and ctx.model.referrers(res, attr, standalone):
            return  # the standalone policy resource is read (and reported) instead
        if standalone and unchanged_in_update(res, "policy", res.get("policy")):
            return  # computed: an update plan carries the policy over
        for stmt in statements_at(res, "policy", ctx):
            if not (stmt.is_allow and stmt.principal_is_anyone) or caller_constrained(stmt, RESOURCE_CALLER_KEYS):
                continue
            what = _granted(stmt)
            if what is None:
                continue
            severity, shown = what
            if res.type in _SECRETS:
                severity = Severity.CRITICAL
            yield Violation(
                f"{noun} of {res.address} lets any AWS principal in: {stmt.label} allows Principal \"*\" {shown} "
                "with no condition pinning the caller's org, account, ARN, source or network",
                path="policy",
                key=stmt.key,
                severity=severity,
            )


def _granted(stmt: Statement) -> tuple[Severity, str] | None:
    """(severity by what anyone may do, the actions for the message); None when no action is readable."""
    if stmt.not_actions and not stmt.actions:
        return Severity.HIGH, "every action except those in NotAction"
    actions = stmt.known_actions()
    if not actions:
        return None
    shown = ", ".join(f"`{a}`" for a in actions[:4]) + (f" and {len(actions) - 4} more" if len(actions) > 4 else "")
    read_only = True
    for pattern in actions:
        infos = catalog().expand(pattern)
        if not infos or any(i.level not in (READ, LIST) for i in infos):
            read_only = False
            break
    return (Severity.MEDIUM if read_only else Severity.HIGH), shown


def _lambda_permission(res: Resource) -> Iterable[Violation]:
    if res.get("principal") != "*":
        return
    if any(not is_missing(res.get(a)) and res.get(a) != "" for a in _LAMBDA_CALLER_ATTRS):
        return  # pinned, or unknown until apply (counts as pinned)
    action = res.get("action")
    auth = res.get("function_url_auth_type")
    if isinstance(action, str) and action.lower() == "lambda:invokefunctionurl" and (
        auth == "NONE" or isinstance(auth, Unknown)
    ):
        return  # a public function URL, on purpose
    shown = f"`{action}`" if isinstance(action, str) else "an action known only at apply"
    yield Violation(
        f"{res.address} lets any AWS principal in any account call {shown} on the function: principal \"*\" "
        "with no source_arn, source_account or principal_org_id",
        path="principal",
        key="principal",
        severity=Severity.HIGH,
    )
