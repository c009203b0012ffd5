from __future__ import annotations

from collections.abc import Iterable

from scanner.model.nhi_types import nhi_type
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.governance.dates import Expiry, days_until
from scanner.rules.governance.helpers import ExpiryRule, kind_of

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


class LifetimeTooLong(ExpiryRule):
    """## What it does
    Flags a credential or secret whose expiry date lies further ahead than
    `max_credential_days` (default 90) from today.

    ## Why is this bad?
    A credential that lives for years is a long-lived secret in all but name (OWASP
    NHI7). Chat assistants like `end_date = "2099-01-01"` because it makes the error go
    away.

    ## Example
    ```hcl
    resource "google_secret_manager_secret" "partner_token" {
      secret_id   = "partner-token"
      expire_time = "2099-01-01T00:00:00Z"
      replication {
        auto {}
      }
    }
    ```

    ## Use instead
    Bound it relative to its creation (`ttl`), and replace it before then:
    ```hcl
    resource "google_secret_manager_secret" "partner_token" {
      secret_id = "partner-token"
      replication {
        auto {}
      }
      ttl = "7776000s" # 90 days
    }
    ```
    """

    id = "NHI_EXP_002"
    severity = Severity.MEDIUM
    title = "Credential lifetime exceeds the maximum"
    fix = "Shorten the lifetime to at most max_credential_days and rotate (e.g. with time_rotating)."
    resource_types = CREDENTIAL_TYPES

    def check_expiry(self, res: Resource, exp: Expiry, ctx: Context) -> Iterable[Violation]:
        if exp.value is None:
            return
        days = days_until(exp.value, ctx.today)
        if days > ctx.config.max_credential_days:
            yield Violation(
                f"{kind_of(res)} {res.address} lives until {exp.value.isoformat()} ({days} days), more "
                f"than the {ctx.config.max_credential_days}-day maximum",
                exp.path,
            )
