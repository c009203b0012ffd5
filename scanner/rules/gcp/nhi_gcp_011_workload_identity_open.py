from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from scanner.iam.github_claims import GITHUB_ISSUER
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_missing, is_unknown
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.cel import OPEN, owner_scope
from scanner.rules.gcp.iam import MemberRule

PROVIDER = "google_iam_workload_identity_pool_provider"
#: principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/*
_WHOLE_POOL_RE = re.compile(r"^principalSet://iam\.googleapis\.com/.+/workloadIdentityPools/[^/]+/\*$")
#: attribute sets whose value is a wildcard: .../attribute.repository_owner/* is not valid, but */* is
_WILDCARD_ATTR_RE = re.compile(r"^principalSet://iam\.googleapis\.com/.+/workloadIdentityPools/[^/]+/attribute\.[^/]+/\*$")


class WorkloadIdentityOpen(MemberRule):
    """## What it does
    Flags Workload Identity Federation that admits every identity of an external
    issuer or a whole pool:

    * a `google_iam_workload_identity_pool_provider` (OIDC, AWS or SAML) without an
      `attribute_condition`, or with an empty one (high);
    * a GitHub Actions provider (`token.actions.githubusercontent.com`) whose
      condition lets some owner's tokens through whatever the owner is called
      (high). The condition is CEL, read as Google evaluates it: `==` and `in`
      compare exactly, `startsWith('acme/')` on `repository` pins the owner but
      `startsWith('acme')` on `repository_owner` also admits `acme-evil`,
      `matches` is an RE2 search (`'acme/.*'` also matches `evilacme/app`; anchor
      it with `^`), `&&` pins when one side pins, `||` only when both do, and
      mapped attributes (`attribute.owner`, `google.subject`) are read through
      `attribute_mapping`. Conditions this cannot read are not reported;
    * an IAM grant (any `google_*_iam_member`, `_binding` or `_policy`) to
      `principalSet://iam.googleapis.com/.../workloadIdentityPools/POOL/*`, every
      identity of the pool (high), or to an attribute set with a wildcard value.

    Providers whose `attribute_condition` is unknown before apply are not reported.

    ## Why is this bad?
    A provider for `token.actions.githubusercontent.com` without a condition accepts
    a token from any GitHub repository in the world; for AWS, any role of the account.
    Google requires a condition for new GitHub providers for that reason. Binding
    `.../POOL/*` then lets every such identity impersonate the service account.

    ## Example
    ```hcl
    resource "google_iam_workload_identity_pool_provider" "github" {
      workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
      workload_identity_pool_provider_id = "github"
      attribute_mapping                  = { "google.subject" = "assertion.sub" }
      oidc {
        issuer_uri = "https://token.actions.githubusercontent.com"
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "google_iam_workload_identity_pool_provider" "github" {
      workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
      workload_identity_pool_provider_id = "github"
      attribute_condition                = "assertion.repository_owner_id == '1234567'"
      attribute_mapping = {
        "google.subject"       = "assertion.sub"
        "attribute.repository" = "assertion.repository"
      }
      oidc { issuer_uri = "https://token.actions.githubusercontent.com" }
    }
    ```
    and bind `principalSet://.../attribute.repository/acme/app`, not `.../*`.
    """

    id = "NHI_GCP_011"
    severity = Severity.HIGH
    title = "Workload Identity Federation open to a whole issuer or pool"
    fix = "Add an attribute_condition pinning the repository/account, and bind attribute sets, not POOL/*."
    resource_types = (PROVIDER,)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type == PROVIDER:
            yield from _provider(res)
        else:
            yield from super().check(res, ctx)

    def member_problem(self, member: str) -> str | None:
        if _WHOLE_POOL_RE.match(member):
            return "every identity of the workload identity pool"
        if _WILDCARD_ATTR_RE.match(member):
            return "every identity of the pool that has this attribute, whatever its value"
        return None


def _provider(res: Resource) -> Iterable[Violation]:
    cond = res.get("attribute_condition")
    if is_unknown(cond):
        return
    if isinstance(cond, str) and cond.strip():
        yield from _github_condition(res, cond)
        return
    issuer = res.get("oidc.0.issuer_uri")
    source = f"issuer {issuer}" if isinstance(issuer, str) else "its external identity source"
    if not is_missing(res.get("aws")):
        source = "the AWS account"
    yield Violation(
        f"{res.address} has no attribute_condition: every identity {source} issues can use the pool",
        "attribute_condition" if not is_missing(cond) else None,
        key="attribute_condition",
    )


def _github_condition(res: Resource, cond: str) -> Iterable[Violation]:
    """A GitHub provider whose CEL condition lets some owner's tokens through whatever the owner is."""
    issuer = res.get("oidc.0.issuer_uri")
    if not isinstance(issuer, str) or issuer.rstrip("/") != GITHUB_ISSUER:
        return
    mapping = res.get("attribute_mapping")
    if owner_scope(cond, mapping if isinstance(mapping, Mapping) else {}) != OPEN:
        return
    yield Violation(
        f"{res.address} lets GitHub tokens of any repository owner use the pool: attribute_condition "
        f"`{cond}` does not pin the owner (repository_owner, repository_owner_id, or the owner part of "
        "repository or sub)",
        "attribute_condition",
        key="attribute_condition",
    )
