from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.iam.github_claims import EXACT, GITHUB_ISSUER, claim_value_pinned, sub_admits_pull_requests
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation

FIC_TYPES = ("azuread_application_federated_identity_credential", "azurerm_federated_identity_credential")
FLEXIBLE = "azuread_application_flexible_federated_identity_credential"
#: the flexible credential language: `claims['NAME'] matches|eq 'VALUE'` clauses joined by `and`
_CLAUSE = r"claims\[\s*'([^']*)'\s*\]\s+(matches|eq)\s+'([^']*)'"
_CLAUSE_RE = re.compile(_CLAUSE, re.I)
_EXPRESSION_RE = re.compile(rf"\s*{_CLAUSE}(?:\s+and\s+{_CLAUSE})*\s*", re.I)
#: Entra's `matches` wildcard
ENTRA_MATCHES = "*"

#: how much of GitHub an accepted token can come from
PINNED, PULL_REQUESTS, REPOSITORIES = 0, 1, 2


def subject_breadth(subject: str, wildcards: str) -> int:
    """REPOSITORIES: the subject admits more than one repository; PULL_REQUESTS: every pull request's
    workflow of one repository; PINNED: neither."""
    if not claim_value_pinned("sub", subject, wildcards):
        return REPOSITORIES
    return PULL_REQUESTS if sub_admits_pull_requests(subject, wildcards) else PINNED


def expression_breadth(expression: str) -> tuple[int, list[str]] | None:
    """The breadth of a flexible credential's expression and the `sub` patterns it tests; None when
    it is not in the language Entra documents (nothing can be said about it).

    Clauses are ANDed, so each dimension is as narrow as its narrowest clause: the repository is
    pinned when any clause pins it (`sub`, or `job_workflow_ref` naming one repository's workflow),
    pull requests are excluded when any `sub` clause excludes them.
    """
    if _EXPRESSION_RE.fullmatch(expression) is None:
        return None
    repositories, pull_requests = True, True
    subs: list[str] = []
    for claim, operator, value in _CLAUSE_RE.findall(expression):
        wildcards = ENTRA_MATCHES if operator.lower() == "matches" else EXACT
        claim = claim.lower()
        if claim == "sub":
            subs.append(value)
            repositories = repositories and not claim_value_pinned(claim, value, wildcards)
            pull_requests = pull_requests and sub_admits_pull_requests(value, wildcards)
        elif claim == "job_workflow_ref" and claim_value_pinned(claim, value, wildcards):
            repositories = False
    if repositories:
        return REPOSITORIES, subs
    return (PULL_REQUESTS if pull_requests and subs else PINNED), subs


class FederatedCredentialBroadSubject(Rule):
    """## What it does
    Flags Entra ID workload identity federation for GitHub Actions
    (`issuer = "https://token.actions.githubusercontent.com"`) whose subject admits
    more than one trusted workflow, judged the way Entra compares it:

    * `azuread_application_federated_identity_credential` and
      `azurerm_federated_identity_credential` match `subject` **exactly**: a `*` is
      a character, not a wildcard (`repo:acme/*` admits no token, and is not
      reported). `subject = "repo:ORG/REPO:pull_request"` hands the identity to
      every pull request's workflow (medium).
    * `azuread_application_flexible_federated_identity_credential` matches its
      `claims_matching_expression` (`claims['sub'] matches 'repo:acme/app:*'`,
      clauses joined by `and`), where `matches` treats `*` as a wildcard and `eq`
      compares exactly. A pattern with a wildcard in the repository
      (`repo:acme/*`, `repo:acme/app*`) admits more than one repository (high); one
      whose wildcard also covers `pull_request` (`repo:acme/app:*`) admits every
      pull request of the repository (medium). Clauses are ANDed: a
      `job_workflow_ref` clause naming one repository's workflow pins the
      repository, a `sub` clause on a branch excludes pull requests.

    Unknown values, and expressions outside the documented language, are not
    reported.

    ## Why is this bad?
    A credential on `pull_request` hands the application's (or managed identity's)
    permissions to the workflow of every pull request, whose code the author
    controls. A wildcard over repositories admits every repository of the
    organization, contractors' and forks' included.

    ## Example
    ```hcl
    resource "azuread_application_federated_identity_credential" "ci" {
      application_id = azuread_application.ci.id
      display_name   = "github-prs"
      audiences      = ["api://AzureADTokenExchange"]
      issuer         = "https://token.actions.githubusercontent.com"
      subject        = "repo:acme/app:pull_request"
    }
    ```

    ## Use instead
    Federate the deployment environment, which only protected branches reach:
    ```hcl
    resource "azuread_application_federated_identity_credential" "ci" {
      application_id = azuread_application.ci.id
      display_name   = "github-production"
      subject        = "repo:acme/app:environment:production"
      issuer         = "https://token.actions.githubusercontent.com"
      audiences      = ["api://AzureADTokenExchange"]
    }
    ```
    Pull requests that need the cloud get an identity of their own, with read-only rights.
    """

    id = "NHI_AZ_012"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "Federated identity credential admits broad GitHub subjects"
    fix = "Federate one repository's protected branch or environment (repo:ORG/REPO:environment:NAME)."
    resource_types = (*FIC_TYPES, FLEXIBLE)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        issuer = res.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != GITHUB_ISSUER:
            return
        if res.type == FLEXIBLE:
            yield from _flexible(res)
            return
        subject = res.get("subject")
        # Matched exactly: a `*` is a character, so only a literal pull-request subject is broad.
        if isinstance(subject, str) and subject_breadth(subject, EXACT) == PULL_REQUESTS:
            yield Violation(
                f"{res.address} federates GitHub subject '{subject}': every pull request's workflow "
                "(including untrusted branches) gets the identity",
                "subject",
                key=subject,
                severity=Severity.MEDIUM,
            )


def _flexible(res: Resource) -> Iterable[Violation]:
    expr = res.get("claims_matching_expression")  # a string in the azuread provider
    if not isinstance(expr, str):
        expr = res.get("claims_matching_expression.0.value")  # Graph's {value, languageVersion} shape
    found = expression_breadth(expr) if isinstance(expr, str) else None
    if found is None or found[0] == PINNED:
        return
    breadth, subs = found
    shown = " and ".join(f"'{s}'" for s in subs) or "no sub pattern"
    if breadth == REPOSITORIES:
        problem, severity = "more than one repository", Severity.HIGH
    else:
        problem, severity = "every pull request's workflow (including untrusted branches)", Severity.MEDIUM
    yield Violation(
        f"{res.address} matches GitHub subjects against {shown}: {problem}",
        "claims_matching_expression",
        key=" and ".join(subs) or expr,
        severity=severity,
    )
