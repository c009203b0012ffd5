from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.iam.policy_grammar import Condition, Statement, has_wildcard
from scanner.iam.policy_lookup import referenced_behind, trust_policy_of
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown
from scanner.rules.base import Context, Rule, Violation

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@dataclass(frozen=True)
class Provider:
    name: str
    host: re.Pattern[str]
    #: what one token stands for, for messages
    unit: str
    example: str


GITLAB = Provider("GitLab CI", re.compile(r"gitlab", re.I), "project", "project_path:acme/app:ref_type:branch:ref:main")
TFC = Provider(
    "Terraform Cloud",
    re.compile(r"app\.terraform\.io", re.I),
    "workspace",
    "organization:acme:project:platform:workspace:prod-network:run_phase:apply",
)
EKS = Provider(
    "EKS IRSA", re.compile(r"oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/", re.I), "service account",
    "system:serviceaccount:payments:api",
)
PROVIDERS = (EKS, TFC, GITLAB)

_PROJECT_RE = re.compile(r"(?:^|:)project_path:([^:]*)", re.I)
_ORG_RE = re.compile(r"(?:^|:)organization:([^:]*)", re.I)
_WORKSPACE_RE = re.compile(r"(?:^|:)workspace:([^:]*)", re.I)
_TFC_PROJECT_RE = re.compile(r"(?:^|:)project:([^:]*)", re.I)
_SA_RE = re.compile(r"^system:serviceaccount:([^:]*):([^:]*)$", re.I)

#: how broad one subject value is
PINNED, NAMESPACE, BROAD = 0, 1, 2


def _literal(text: str, like: bool) -> bool:
    return bool(text) and not (like and has_wildcard(text))


def subject_breadth(provider: Provider, value: object, like: bool = True) -> int:
    """PINNED: one project/workspace/service account; NAMESPACE: any service account of one
    namespace (EKS only); BROAD: more. Unknown values count as pinned. With ``StringEquals``
    (``like=False``) ``*`` is a literal character, so nothing is a wildcard."""
    if isinstance(value, Unknown):
        return PINNED
    if not isinstance(value, str) or not value:
        return BROAD
    if provider is GITLAB:
        m = _PROJECT_RE.search(value)
        return PINNED if m and "/" in m.group(1) and _literal(m.group(1), like) else BROAD
    if provider is TFC:
        org, ws, proj = (r.search(value) for r in (_ORG_RE, _WORKSPACE_RE, _TFC_PROJECT_RE))
        if not org or not _literal(org.group(1), like):
            return BROAD
        if (ws and _literal(ws.group(1), like)) or (proj and _literal(proj.group(1), like)):
            return PINNED
        return BROAD
    m = _SA_RE.match(value)
    if not m:
        return BROAD if like and has_wildcard(value) else PINNED
    namespace, account = m.groups()
    if not _literal(namespace, like):
        return BROAD
    return PINNED if _literal(account, like) else NAMESPACE


def _provider(stmt: Statement, res: Resource, ctx: Context) -> tuple[Provider, str] | None:
    """The OIDC provider a web-identity statement trusts, and its host (the condition key prefix)."""
    texts = [p for p in stmt.principal_ids("Federated") if isinstance(p, str)]
    texts += [c.key.rsplit(":", 1)[0] for c in stmt.conditions]
    if any(isinstance(p, Unknown) for p in stmt.principal_ids("Federated")):
        for oidc in referenced_behind(res, "assume_role_policy", ctx, "aws_iam_openid_connect_provider"):
            texts += [str(oidc.get(a)) for a in ("url", "arn") if isinstance(oidc.get(a), str)]
    for provider in PROVIDERS:
        for text in texts:
            if provider.host.search(text):
                host = text.split("oidc-provider/", 1)[-1].removeprefix("https://")
                return provider, host
    return None


def _sub_conditions(stmt: Statement, host: str) -> list[Condition]:
    subs = [c for c in stmt.conditions if c.key.lower().endswith(":sub")]
    exact = [c for c in subs if c.key.lower() == f"{host.lower()}:sub"]
    return exact or subs


class OidcSubjectTooBroad(Rule):
    """## What it does
    Flags an `aws_iam_role` whose trust policy accepts `sts:AssumeRoleWithWebIdentity`
    tokens from GitLab CI, Terraform Cloud or an EKS cluster (IRSA) without a
    `:sub` condition that ties the token to one project, workspace or service
    account. (GitHub Actions is NHI_AWS_022.)

    * **GitLab** (`gitlab.com` or a self-managed host with `gitlab` in its name):
      `sub` must name one project, `project_path:GROUP/PROJECT:...`;
      `project_path:acme/*` admits every project of the group.
    * **Terraform Cloud** (`app.terraform.io`): `sub` must name the organization
      and a project or workspace, `organization:ORG:project:P:workspace:W:run_phase:*`;
      `organization:acme:*` admits every workspace of the organization.
    * **EKS IRSA** (`oidc.eks.<region>.amazonaws.com/id/<ID>`): `sub` must be
      `system:serviceaccount:NAMESPACE:NAME`. `system:serviceaccount:*:*` (or a
      wildcard namespace) admits every pod of the cluster; a wildcard name in a
      literal namespace (`system:serviceaccount:payments:*`) is reported as medium.

    No `sub` condition at all is critical for GitLab and Terraform Cloud (anyone
    can get a token from those issuers) and high for EKS (any pod of the cluster).
    Wildcards count only under `StringLike`; with `StringEquals` a `*` is a literal
    character. Negated conditions never pin. Values unknown before apply count as
    pinned. The provider is recognised from the federated principal, the condition
    keys, or the `url` of a referenced `aws_iam_openid_connect_provider`.

    ## Why is this bad?
    Any GitLab.com user can run a pipeline that requests a token from
    `gitlab.com`; any Terraform Cloud customer can run a workspace that requests
    one from `app.terraform.io`. Without a subject condition the role accepts all
    of them. For IRSA the issuer is your cluster, but without `sub` every pod, in
    every namespace, can assume the role (OWASP NHI5, hackingthe.cloud's GitLab
    OIDC misconfiguration).

    ## Example
    ```hcl
    data "aws_iam_policy_document" "irsa" {
      statement {
        actions = ["sts:AssumeRoleWithWebIdentity"]
        principals {
          type        = "Federated"
          identifiers = [aws_iam_openid_connect_provider.eks.arn]
        }
        condition {
          test     = "StringLike"
          variable = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub"
          values   = ["system:serviceaccount:*:*"]
        }
      }
    }
    ```

    ## Use instead
    ```hcl
    data "aws_iam_policy_document" "irsa" {
      statement {
        actions = ["sts:AssumeRoleWithWebIdentity"]
        principals {
          type        = "Federated"
          identifiers = [aws_iam_openid_connect_provider.eks.arn]
        }
        condition {
          test     = "StringEquals"
          variable = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub"
          values   = ["system:serviceaccount:payments:api"]
        }
        condition {
          test     = "StringEquals"
          variable = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud"
          values   = ["sts.amazonaws.com"]
        }
      }
    }
    ```
    """

    id = "NHI_AWS_023"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "OIDC trust (GitLab, Terraform Cloud, EKS IRSA) not limited to one subject"
    fix = "Add a <issuer>:sub condition naming one project, workspace or service account (no wildcard)."
    resource_types = ("aws_iam_role",)
    cross_resource = True  # the OIDC provider and the policy document are other resources

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for stmt in trust_policy_of(res, ctx):
            if not stmt.allows(WEB_IDENTITY) or stmt.conditions_unknown:
                continue
            found = _provider(stmt, res, ctx)
            if found is None:
                continue
            provider, host = found
            subs = [c for c in _sub_conditions(stmt, host) if not c.negated and c.base_operator != "Null" and c.values]
            if not subs:
                yield Violation(
                    f"role {res.address} trusts every {provider.unit} that can get a token from {provider.name} "
                    f"({host}): {stmt.label} of its trust policy has no :sub condition; expected e.g. "
                    f"'{provider.example}'",
                    path="assume_role_policy",
                    key=stmt.key,
                    severity=Severity.HIGH if provider is EKS else Severity.CRITICAL,
                )
                continue
            # Several sub conditions are ANDed: the narrowest one decides.
            breadth = min(_condition_breadth(provider, c) for c in subs)
            if breadth == PINNED:
                continue
            shown = ", ".join(f"'{v}'" for c in subs for v in c.values if isinstance(v, str))
            scope = (
                "every service account of one namespace"
                if breadth == NAMESPACE
                else f"more than one {provider.unit}"
            )
            yield Violation(
                f"role {res.address} trusts {scope} of {provider.name} ({host}): {stmt.label} of its trust policy "
                f"allows sub {shown}",
                path="assume_role_policy",
                key=stmt.key,
                severity=Severity.MEDIUM if breadth == NAMESPACE else Severity.HIGH,
            )


def _condition_breadth(provider: Provider, cond: Condition) -> int:
    like = "like" in cond.base_operator.lower()
    return max(subject_breadth(provider, v, like) for v in cond.values)
