from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.iam.github_claims import EXACT
from scanner.iam.policy_grammar import Condition, Statement, has_wildcard
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_unknown
from scanner.rules.aws.oidc import WebIdentityTrustRule, federated, lists_values, provider_names, wildcards
from scanner.rules.base import Context, Problem


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
    if is_unknown(value):
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
    texts = federated(stmt) + [c.key.rsplit(":", 1)[0] for c in stmt.conditions]
    for names in provider_names(stmt, res, ctx):
        texts += names
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


class OidcSubjectTooBroad(WebIdentityTrustRule):
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
    An EKS service-account role (IRSA) that any pod of the cluster can assume:
    ```hcl
    locals { oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" }

    resource "aws_iam_role" "payments_api" {
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/${local.oidc}" }
          Action    = "sts:AssumeRoleWithWebIdentity"
          Effect    = "Allow"
          Condition = { StringLike = { "${local.oidc}:sub" = "system:serviceaccount:*:*" } }
        }]
      })
    }
    ```

    ## Use instead
    Name the namespace and the service account:
    ```hcl
    locals { oidc = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" }

    resource "aws_iam_role" "payments_api" {
      assume_role_policy = data.aws_iam_policy_document.irsa.json
    }

    data "aws_iam_policy_document" "irsa" {
      statement {
        actions = ["sts:AssumeRoleWithWebIdentity"]
        condition {
          test     = "StringEquals"
          variable = "${local.oidc}:sub"
          values   = ["system:serviceaccount:payments:api"]
        }
        principals {
          type        = "Federated"
          identifiers = ["arn:aws:iam::111122223333:oidc-provider/${local.oidc}"]
        }
      }
    }
    ```
    For GitLab the subject names one project (`project_path:acme/app:ref_type:branch:ref:main`), for
    Terraform Cloud one workspace.
    """

    id = "NHI_AWS_023"
    severity = Severity.CRITICAL
    title = "OIDC trust (GitLab, Terraform Cloud, EKS IRSA) not limited to one subject"
    fix = "Add a <issuer>:sub condition naming one project, workspace or service account (no wildcard)."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        found = _provider(stmt, res, ctx) if not stmt.conditions_unknown else None
        if found is None:
            return
        provider, host = found
        subs = [c for c in _sub_conditions(stmt, host) if lists_values(c)]
        if not subs:
            yield Problem(
                f"trusts every {provider.unit} that can get a token from {provider.name} ({host}): {stmt.label} "
                f"of its trust policy has no :sub condition; expected e.g. '{provider.example}'",
                Severity.HIGH if provider is EKS else Severity.CRITICAL,
            )
            return
        # Several sub conditions are ANDed: the narrowest one decides.
        breadth = min(_condition_breadth(provider, c) for c in subs)
        if breadth == PINNED:
            return
        shown = ", ".join(f"'{v}'" for c in subs for v in c.values if isinstance(v, str))
        scope = "every service account of one namespace" if breadth == NAMESPACE else f"more than one {provider.unit}"
        yield Problem(
            f"trusts {scope} of {provider.name} ({host}): {stmt.label} of its trust policy allows sub {shown}",
            Severity.MEDIUM if breadth == NAMESPACE else Severity.HIGH,
        )


def _condition_breadth(provider: Provider, cond: Condition) -> int:
    like = wildcards(cond) != EXACT
    return max(subject_breadth(provider, v, like) for v in cond.values)
