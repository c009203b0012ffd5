from __future__ import annotations

from collections.abc import Iterable

from scanner.model.nhi_types import nhi_type
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.governance.dates import days_until, expiry_of
from scanner.rules.governance.helpers import kind_of

CREDENTIAL_TYPES = tuple(
    sorted(
        t
        for t in (
            "azuread_application_password",
            "azuread_service_principal_password",
            "azurerm_key_vault_secret",
            "google_secret_manager_secret",
            "aws_secretsmanager_secret",
            "aws_iam_access_key",
            "aws_iam_service_specific_credential",
            "aws_iam_user_login_profile",
            "aws_iam_signing_certificate",
            "google_storage_hmac_key",
            "google_service_account_key",
            "vault_token",
            "kubernetes_secret",
            "kubernetes_secret_v1",
        )
        if nhi_type(t)
    )
)


class LifetimeTooLong(Rule):
    """## What it does
    Flags a credential or secret whose expiry date lies further ahead than
    `max_credential_days` (default 90) from today.

    ## Why is this bad?
    A credential that lives for years is a long-lived secret in all but name (OWASP
    NHI7). Chat assistants like `end_date = "2099-01-01"` because it makes the error go
    away.

    ## Example
    ```hcl
    resource "azuread_application_password" "ci" {
      application_id = azuread_application.ci.id
      end_date       = "2099-01-01T00:00:00Z"
    }
    ```

    ## Use instead
    ```hcl
    resource "time_rotating" "ci" { rotation_days = 60 }

    resource "azuread_application_password" "ci" {
      application_id = azuread_application.ci.id
      end_date       = timeadd(time_rotating.ci.id, "1440h")
      rotate_when_changed = { rotation = time_rotating.ci.id }
    }
    ```
    """

    id = "NHI_EXP_002"
    category = Category.EXPIRY
    severity = Severity.MEDIUM
    title = "Credential lifetime exceeds the maximum"
    fix = "Shorten the lifetime to at most max_credential_days and rotate (e.g. with time_rotating)."
    resource_types = CREDENTIAL_TYPES
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        exp = expiry_of(res, ctx)
        if exp is None or exp.value is None:
            return
        days = days_until(exp.value, ctx.today)
        if days > ctx.config.max_credential_days:
            yield Violation(
                f"{kind_of(res)} {res.address} lives until {exp.value.isoformat()} ({days} days), more "
                f"than the {ctx.config.max_credential_days}-day maximum",
                exp.path,
            )
