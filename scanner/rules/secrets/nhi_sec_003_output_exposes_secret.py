from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource, strip_indexes
from scanner.model.severity import Category, Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Rule, Violation

_SECRET_STORE_READS = {
    "aws_secretsmanager_secret_version": {"secret_string": "secret value", "secret_binary": "secret value"},
    "google_secret_manager_secret_version": {"secret_data": "secret value"},
    "azurerm_key_vault_secret": {"value": "secret value"},
    "vault_generic_secret": {"data": "secret data", "data_json": "secret data"},
    "vault_kv_secret_v2": {"data": "secret data", "data_json": "secret data"},
    "kubernetes_secret": {"data": "Secret data", "binary_data": "Secret data"},
    "kubernetes_secret_v1": {"data": "Secret data", "binary_data": "Secret data"},
}

#: resource type -> credential attribute -> what it is
CREDENTIAL_ATTRIBUTES: dict[str, dict[str, str]] = {
    "aws_iam_access_key": {"secret": "AWS secret access key", "ses_smtp_password_v4": "SES SMTP password"},
    "aws_iam_user_login_profile": {"password": "initial console password"},
    "aws_iam_service_specific_credential": {"service_password": "service-specific password"},
    "google_storage_hmac_key": {"secret": "Cloud Storage HMAC secret"},
    "aws_secretsmanager_secret_version": _SECRET_STORE_READS["aws_secretsmanager_secret_version"],
    "google_service_account_key": {"private_key": "service account private key"},
    "azuread_application_password": {"value": "application client secret"},
    "azuread_service_principal_password": {"value": "service principal client secret"},
    "azurerm_storage_account": {
        "primary_access_key": "storage account key",
        "secondary_access_key": "storage account key",
        "primary_connection_string": "storage connection string",
        "secondary_connection_string": "storage connection string",
    },
    "tls_private_key": {
        "private_key_pem": "private key",
        "private_key_openssh": "private key",
        "private_key_pem_pkcs8": "private key",
    },
    "vault_token": {"client_token": "Vault token"},
    "vault_approle_auth_backend_role_secret_id": {"secret_id": "AppRole secret ID"},
    "random_password": {"result": "generated password"},
    "kubernetes_secret": _SECRET_STORE_READS["kubernetes_secret"],
    "kubernetes_secret_v1": _SECRET_STORE_READS["kubernetes_secret_v1"],
    **{f"data.{t}": attrs for t, attrs in _SECRET_STORE_READS.items()},
}


def exposed(ref: str) -> tuple[str, str] | None:
    """``aws_iam_access_key.ci.secret`` -> (the reference, what it is), for credential attributes."""
    parts = strip_indexes(ref).split(".")
    while len(parts) >= 2 and parts[0] == "module":  # module-prefixed addresses (child module outputs)
        parts = parts[2:]
    if parts and parts[0] == "data":
        rtype, attr = (f"data.{parts[1]}", parts[3]) if len(parts) >= 4 else ("", "")
    else:
        rtype, attr = (parts[0], parts[2]) if len(parts) >= 3 else ("", "")
    what = CREDENTIAL_ATTRIBUTES.get(rtype, {}).get(attr)
    return (".".join(parts[: 4 if rtype.startswith("data.") else 3]), what) if what else None


class OutputExposesSecret(Rule):
    """## What it does
    Flags an `output` that returns a credential without `sensitive = true`: an access
    key secret (`aws_iam_access_key.*.secret`), a service account or TLS private key,
    an Entra ID client secret, a Vault token or AppRole secret ID, a `random_password`
    result, Kubernetes Secret data or a secret manager value. It also flags outputs that
    strip the marking with `nonsensitive(...)`.

    Terraform refuses most of these outputs unless they are marked sensitive, so chat
    assistants often "fix" the error with `nonsensitive()`. References are read from
    the configuration, so a plan without `configuration` yields nothing.

    ## Why is this bad?
    An output that is not sensitive is printed in clear text after every `apply`, in CI
    logs, in `terraform output`, and to anyone who can read the state through
    `terraform_remote_state`. The credential leaks every time the pipeline runs.

    ## Example
    ```hcl
    output "ci_secret_key" {
      value = aws_iam_access_key.ci.secret
    }
    ```

    ## Use instead
    Do not output credentials; write them to a secret store. If another configuration
    needs the value, mark the output sensitive.
    ```hcl
    resource "aws_secretsmanager_secret_version" "ci" {
      secret_id     = aws_secretsmanager_secret.ci.id
      secret_string = aws_iam_access_key.ci.secret
    }

    output "ci_secret_key" {
      value     = aws_iam_access_key.ci.secret
      sensitive = true
    }
    ```
    """

    id = "NHI_SEC_003"
    category = Category.SECRET_EXPOSURE
    severity = Severity.HIGH
    title = "Output exposes a credential without sensitive = true"
    fix = "Mark the output `sensitive = true` (and drop any nonsensitive()), or stop outputting the credential."
    modes = ("output",)
    resource_types = ("output",)
    in_checkov = False
    checkov_note = (
        "Checkov runs no checks on `output` blocks: its Terraform registries cover resources, data "
        "sources, providers and modules only. Run `nhi-guard scan` for outputs."
    )

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        sensitive = res.get("sensitive")
        if not (sensitive is False or is_missing(sensitive)):
            return  # marked sensitive, or cannot tell (`sensitive = var.x`)
        if res.get("ephemeral") is True:
            return
        found: dict[str, str] = {}
        for ref in res.references("value"):
            hit = exposed(ref)
            if hit:
                found.setdefault(*hit)
        if found:
            what = ", ".join(f"{ref} ({kind})" for ref, kind in found.items())
            yield Violation(f"{res.address} exposes {what} without `sensitive = true`", "value")
