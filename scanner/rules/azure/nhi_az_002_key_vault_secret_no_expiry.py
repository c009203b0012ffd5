from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Rule, Violation


class KeyVaultSecretWithoutExpiry(Rule):
    """## What it does
    Flags an `azurerm_key_vault_secret` without `expiration_date`. An unknown value
    (a variable, `timeadd(...)`) counts as set.

    ## Why is this bad?
    A Key Vault secret without an expiration date never shows up as "expiring" in Key
    Vault, Event Grid (`SecretNearExpiry`) or Defender for Cloud, so nothing prompts its
    rotation and a leaked value stays usable indefinitely (OWASP NHI7). Azure Policy's
    "Key Vault secrets should have an expiration date" flags the same.

    ## Example
    ```hcl
    resource "azurerm_key_vault_secret" "db" {
      name         = "db-password"
      value        = random_password.db.result
      key_vault_id = azurerm_key_vault.app.id
    }
    ```

    ## Use instead
    ```hcl
    resource "azurerm_key_vault_secret" "db" {
      name            = "db-password"
      value           = random_password.db.result
      key_vault_id    = azurerm_key_vault.app.id
      expiration_date = "2026-12-31T00:00:00Z"
    }
    ```
    """

    id = "NHI_AZ_002"
    category = Category.EXPIRY
    severity = Severity.MEDIUM
    title = "Key Vault secret has no expiration date"
    fix = "Set `expiration_date` (RFC 3339) and rotate the secret before it expires."
    resource_types = ("azurerm_key_vault_secret",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if is_missing(res.get("expiration_date")):
            yield Violation(
                f"Key Vault secret {res.address} has no `expiration_date`: it never expires and "
                "nothing flags it for rotation",
                "name",
            )
