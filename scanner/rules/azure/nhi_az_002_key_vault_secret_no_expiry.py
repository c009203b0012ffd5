from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown, is_missing
from scanner.policy.credential_formats import is_identifier
from scanner.rules.base import Context, Rule, Violation

#: attributes of other resources that are identifiers, not secrets
_IDENTIFIER_ATTR_RE = re.compile(
    r"^(?:id|client_id|application_id|tenant_id|subscription_id|object_id|principal_id|.*_fqdn|fqdn|"
    r"fully_qualified_domain_name|hostname|host_name|login_server|vault_uri|.*_endpoint|endpoint|"
    r"public_key_openssh|public_key_pem|public_key|.*_fingerprint_\w+|name|email)$"
)
_REFERENCE_RE = re.compile(r"(?:data\.)?[a-z][\w-]*\.[\w-]+(?:\[[^\]]*\])?\.[\w-]+")
#: secret names that say what the secret is, when its value is known only at apply
_IDENTIFIER_NAME_RE = re.compile(
    r"(?:^|[-_.])(?:client|tenant|subscription|object|principal|app|application)[-_]?id$|"
    r"(?:^|[-_.])(?:fqdn|hostname|host|endpoint|url|uri)$|(?:^|[-_.])(?:ssh[-_])?public[-_]?key$",
    re.I,
)


def holds_identifier(res: Resource) -> bool:
    """The secret clearly holds an identifier, not a secret: a GUID (client, tenant, subscription
    id), an FQDN, an endpoint URL, a public key or certificate, written literally, taken from such
    an attribute of another resource, or, when the value is known only at apply, so named."""
    value = res.get("value")
    if isinstance(value, str) and not isinstance(value, Unknown):
        return is_identifier(value)
    # `azurerm_user_assigned_identity.ci.client_id`, `data.azurerm_client_config.current.tenant_id`
    refs = res.references("value")
    if isinstance(value, Unknown) and _REFERENCE_RE.fullmatch(value.source):
        refs = [*refs, value.source]  # the expression itself (the Checkov adapter records no references)
    attrs = [r.split(".")[-1] for r in refs if r.count(".") >= (3 if r.startswith("data.") else 2)]
    if attrs:
        return all(_IDENTIFIER_ATTR_RE.match(a) for a in attrs)
    name = res.get("name")
    return isinstance(value, Unknown) and isinstance(name, str) and _IDENTIFIER_NAME_RE.search(name) is not None


class KeyVaultSecretWithoutExpiry(Rule):
    """## What it does
    Flags an `azurerm_key_vault_secret` without `expiration_date`. An unknown value
    (a variable, `timeadd(...)`) counts as set.

    Key Vault also stores configuration that is not secret at all. A secret that
    clearly holds an identifier is not reported: a value that is a GUID (client,
    tenant or subscription id), an FQDN, an endpoint URL without user info or query,
    an SSH public key or a PEM public key or certificate; a value taken from such an
    attribute of another resource (`client_id`, `tenant_id`, `principal_id`, `id`,
    `fully_qualified_domain_name`, `*_endpoint`, `vault_uri`, `public_key_openssh`...);
    or, when the value is known only at apply, a name that says so (`sql-fqdn`,
    `app-client-id`, `deploy-ssh-public-key`).

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
        if is_missing(res.get("expiration_date")) and not holds_identifier(res):
            yield Violation(
                f"Key Vault secret {res.address} has no `expiration_date`: it never expires and "
                "nothing flags it for rotation",
                "name",
            )
