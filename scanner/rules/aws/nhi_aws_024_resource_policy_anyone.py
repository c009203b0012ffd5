from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scanner.iam.catalog import LIST, READ, catalog
from scanner.iam.policy_grammar import CALLER_KEYS, Statement, caller_constrained
from scanner.iam.policy_lookup import statements_at, unchanged_in_update
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list, is_missing, is_unknown
from scanner.rules.base import Context, Rule, Violation

#: Resource policies that guard secrets or keys: anyone in is critical whatever the action.
_SECRETS = {"aws_secretsmanager_secret_policy", "aws_secretsmanager_secret", "aws_kms_key"}


@dataclass(frozen=True)
class PolicyHolder:
    """Where a resource keeps its resource policy."""

    #: for messages: ``bucket policy``
    noun: str
    #: the attribute holding the policy document
    attr: str = "policy"
    #: the standalone policy resource that may carry this resource's policy instead ...
    standalone: str | None = None
    #: ... and its attribute naming this resource
    standalone_attr: str | None = None


_OPENSEARCH = "domain access policy"
_API = "API policy"

#: resource type -> where its resource policy is
RESOURCE_POLICIES: dict[str, PolicyHolder] = {
    "aws_s3_bucket_policy": PolicyHolder("bucket policy"),
    "aws_s3_bucket": PolicyHolder("bucket policy", standalone="aws_s3_bucket_policy", standalone_attr="bucket"),
    "aws_kms_key": PolicyHolder("key policy"),
    "aws_sqs_queue_policy": PolicyHolder("queue policy"),
    "aws_sqs_queue": PolicyHolder("queue policy", standalone="aws_sqs_queue_policy", standalone_attr="queue_url"),
    "aws_sns_topic_policy": PolicyHolder("topic policy"),
    "aws_sns_topic": PolicyHolder("topic policy", standalone="aws_sns_topic_policy", standalone_attr="arn"),
    "aws_secretsmanager_secret_policy": PolicyHolder("secret policy"),
    "aws_secretsmanager_secret": PolicyHolder(
        "secret policy", standalone="aws_secretsmanager_secret_policy", standalone_attr="secret_arn"
    ),
    "aws_ecr_repository_policy": PolicyHolder("repository policy"),
    "aws_api_gateway_rest_api_policy": PolicyHolder(_API),
    "aws_api_gateway_rest_api": PolicyHolder(
        _API, standalone="aws_api_gateway_rest_api_policy", standalone_attr="rest_api_id"
    ),
    "aws_opensearch_domain_policy": PolicyHolder(_OPENSEARCH, attr="access_policies"),
    "aws_opensearch_domain": PolicyHolder(
        _OPENSEARCH, attr="access_policies", standalone="aws_opensearch_domain_policy", standalone_attr="domain_name"
    ),
    "aws_elasticsearch_domain_policy": PolicyHolder(_OPENSEARCH, attr="access_policies"),
    "aws_elasticsearch_domain": PolicyHolder(
        _OPENSEARCH, attr="access_policies", standalone="aws_elasticsearch_domain_policy", standalone_attr="domain_name"
    ),
    "aws_efs_file_system_policy": PolicyHolder("file system policy"),
}
#: the API or domain a standalone policy belongs to: (attribute naming it, its type)
_PARENT = {
    "aws_api_gateway_rest_api_policy": ("rest_api_id", "aws_api_gateway_rest_api"),
    "aws_opensearch_domain_policy": ("domain_name", "aws_opensearch_domain"),
    "aws_elasticsearch_domain_policy": ("domain_name", "aws_elasticsearch_domain"),
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
    "elasticfilesystem:AccessedViaMountTarget",
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
    (`aws_secretsmanager_secret_policy`, `aws_secretsmanager_secret.policy`),
    ECR repositories (`aws_ecr_repository_policy`), API Gateway REST APIs
    (`aws_api_gateway_rest_api_policy`, `aws_api_gateway_rest_api.policy`),
    OpenSearch domains (`aws_opensearch_domain_policy`,
    `aws_opensearch_domain.access_policies`, and the `aws_elasticsearch_*`
    equivalents) and EFS file systems (`aws_efs_file_system_policy`), and
    `aws_lambda_permission` with `principal = "*"` and none of `source_arn`,
    `source_account`, `principal_org_id`.

    The conditions that pin the caller are NHI_AWS_020's (`aws:PrincipalOrgID`,
    `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:SourceAccount`,
    `aws:SourceArn`, `aws:SourceOrgID`, ...), plus the ones resource policies use:
    `aws:SourceOwner`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceIp`,
    `aws:userid`, `aws:username`, `aws:PrincipalServiceName`,
    `aws:PrincipalIsAWSService`, `kms:CallerAccount` and EFS's
    `elasticfilesystem:AccessedViaMountTarget`. A value unknown until apply, or a
    condition block that cannot be read, counts as pinning; `aws:SourceIp` of
    `0.0.0.0/0` or `::/0` does not.

    Severity: critical for secrets and KMS keys (any action); high when anyone
    may write, publish, invoke, change the policy, or do anything (`*`,
    `NotAction`); medium when anyone may only read or list (a public bucket or
    image repository). A Lambda function URL made public on purpose
    (`action = "lambda:InvokeFunctionUrl"` with `function_url_auth_type = "NONE"`)
    is not reported, nor is `execute-api:Invoke` for anyone on a public (edge or
    regional) REST API: that is what a public API is, and its authorizers decide.
    On a `PRIVATE` API it lets any account's VPC endpoint in, and is reported.
    An OpenSearch domain in a VPC (`vpc_options`) or with fine-grained access
    control (`advanced_security_options { enabled = true }`) is gated by its
    network or its own authentication, which AWS recommends with an open access
    policy, so only other domains are reported (a standalone policy whose domain
    is outside the scan is not judged). When a standalone policy resource in the
    scan carries a bucket's, queue's, topic's, secret's, API's or domain's policy,
    only it is read; an update plan that carries an unchanged policy over is not
    reported again.

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
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Principal = "*", Action = "secretsmanager:GetSecretValue", Resource = "*" }]
      })
    }
    ```

    ## Use instead
    Name the principal that needs access:
    ```hcl
    data "aws_iam_policy_document" "db_secret" {
      statement {
        actions   = ["secretsmanager:GetSecretValue"]
        resources = ["*"]
        principals {
          type        = "AWS"
          identifiers = [aws_iam_role.app.arn]
        }
      }
    }

    resource "aws_secretsmanager_secret_policy" "db" {
      secret_arn = aws_secretsmanager_secret.db.arn
      policy     = data.aws_iam_policy_document.db_secret.json
    }
    ```
    Or keep `"*"` with a condition that pins the caller: `aws:PrincipalOrgID`, `aws:SourceArn`, `aws:SourceVpce`.
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
        holder = RESOURCE_POLICIES[res.type]
        if holder.standalone and holder.standalone_attr:
            if ctx.model.referrers(res, holder.standalone_attr, holder.standalone):
                return  # the standalone policy resource is read (and reported) instead
            if unchanged_in_update(res, holder.attr, res.get(holder.attr)):
                return  # computed: an update plan carries the policy over
        if holder.noun == _OPENSEARCH and not _public_domain(_parent(res, ctx)):
            return
        for stmt in statements_at(res, holder.attr, ctx):
            if not (stmt.is_allow and stmt.principal_is_anyone) or caller_constrained(stmt, RESOURCE_CALLER_KEYS):
                continue
            what = _granted(stmt)
            if what is None:
                continue
            severity, shown = what
            if holder.noun == _API and _invoke_only(stmt):
                if _api_type(_parent(res, ctx)) != "PRIVATE":
                    continue  # a public API is public by design; its authorizers decide
                shown += " on a PRIVATE API (any account's VPC endpoint)"
            if res.type in _SECRETS:
                severity = Severity.CRITICAL
            yield Violation(
                f"{holder.noun} of {res.address} lets any AWS principal in: {stmt.label} allows Principal \"*\" "
                f"{shown} with no condition pinning the caller's org, account, ARN, source or network",
                path=holder.attr,
                key=stmt.key,
                severity=severity,
            )


def _parent(res: Resource, ctx: Context) -> Resource | None:
    """The API or domain itself: ``res``, or the one a standalone policy names (None outside the scan)."""
    if res.type not in _PARENT:
        return res
    attr, rtype = _PARENT[res.type]
    found = ctx.model.referenced(res, attr, rtype)
    return found[0] if len(found) == 1 else None


def _public_domain(domain: Resource | None) -> bool:
    """An OpenSearch domain reachable from the internet whose access policy is its only gate.

    A domain in a VPC (``vpc_options``) is reached through its security groups, and one with
    fine-grained access control authenticates every request itself: AWS recommends an open
    access policy for both. A domain outside the scan, or unknown settings, are not judged.
    """
    if domain is None:
        return False
    vpc, fgac = domain.get("vpc_options"), domain.get("advanced_security_options.enabled")
    if is_unknown(vpc) or is_unknown(fgac):
        return False
    has_vpc = bool(vpc) and not all(isinstance(b, Mapping) and not b.get("subnet_ids") for b in as_list(vpc))
    return not has_vpc and fgac is not True


def _invoke_only(stmt: Statement) -> bool:
    actions = stmt.known_actions()
    return bool(actions) and not stmt.not_actions and all(a.lower() == "execute-api:invoke" for a in actions)


def _api_type(api: Resource | None) -> str | None:
    """``PRIVATE``, ``REGIONAL``, ``EDGE`` (the default), or None when it cannot be told."""
    if api is None:
        return None
    types = api.get("endpoint_configuration.0.types")
    if is_missing(types):
        return "EDGE"
    known = [t for t in as_list(types) if isinstance(t, str)]
    return known[0].upper() if known and len(known) == len(as_list(types)) else None


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
        auth == "NONE" or is_unknown(auth)
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
