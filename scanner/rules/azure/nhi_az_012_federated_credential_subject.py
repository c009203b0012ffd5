from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
FIC_TYPES = ("azuread_application_federated_identity_credential", "azurerm_federated_identity_credential")
FLEXIBLE = "azuread_application_flexible_federated_identity_credential"
_MATCHES_RE = re.compile(r"claims\[\s*'sub'\s*\]\s+matches\s+'([^']*)'", re.I)


def subject_problem(subject: object) -> str | None:
    """Why a GitHub subject admits more than one trusted workflow, or None."""
    if not isinstance(subject, str):
        return None
    if subject.endswith(":pull_request"):
        return "every pull request's workflow (including untrusted branches) gets the identity"
    repo = subject[5:].split(":", 1)[0] if subject.startswith("repo:") else ""
    if "*" in repo or ("/" not in repo and subject.startswith("repo:")):
        return "more than one repository"
    return None


class FederatedCredentialBroadSubject(Rule):
    """## What it does
    Flags Entra ID workload identity federation for GitHub Actions
    (`issuer = "https://token.actions.githubusercontent.com"`) whose subject admits
    more than one trusted workflow:

    * `azuread_application_federated_identity_credential` or
      `azurerm_federated_identity_credential` with `subject = "repo:ORG/REPO:pull_request"`
      (every pull request, medium);
    * `azuread_application_flexible_federated_identity_credential` whose
      `claims_matching_expression` matches `sub` against a pattern with a wildcard in
      the repository (`repo:acme/*`, high).

    Standard credentials match the subject exactly, so only the pull-request subject
    is broad there. Unknown values are not reported.

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
    ```hcl
    resource "azuread_application_federated_identity_credential" "ci" {
      application_id = azuread_application.ci.id
      display_name   = "github-production"
      audiences      = ["api://AzureADTokenExchange"]
      issuer         = "https://token.actions.githubusercontent.com"
      subject        = "repo:acme/app:environment:production"
    }
    ```
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
            expr = res.get("claims_matching_expression")  # a string in the azuread provider
            if not isinstance(expr, str):
                expr = res.get("claims_matching_expression.0.value")  # Graph's {value, languageVersion} shape
            for pattern in _MATCHES_RE.findall(expr) if isinstance(expr, str) else []:
                repo = pattern[5:].split(":", 1)[0] if pattern.startswith("repo:") else pattern
                if "*" in repo:
                    yield Violation(
                        f"{res.address} matches GitHub subjects against '{pattern}': more than one repository",
                        "claims_matching_expression",
                        key=pattern,
                    )
            return
        subject = res.get("subject")
        problem = subject_problem(subject)
        if problem:
            yield Violation(
                f"{res.address} federates GitHub subject '{subject}': {problem}",
                "subject",
                key=str(subject),
                severity=Severity.MEDIUM if str(subject).endswith(":pull_request") else Severity.HIGH,
            )
