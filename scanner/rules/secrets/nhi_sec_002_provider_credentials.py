from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.secrets.literal import literal_string

_K8S = ("token", "password", "client_key")
_AZURE = ("client_secret", "client_certificate", "client_certificate_password", "oidc_token")

#: provider name -> credential arguments (dotted paths; nested blocks are entered)
PROVIDER_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "aws": ("access_key", "secret_key", "token"),
    "azurerm": _AZURE,
    "azuread": _AZURE,
    "azapi": _AZURE,
    "google": ("credentials", "access_token"),
    "google-beta": ("credentials", "access_token"),
    "vault": (
        "token",
        "auth_login_userpass.password",
        "auth_login_approle.secret_id",
        "auth_login.parameters.password",
        "auth_login.parameters.secret_id",
    ),
    "kubernetes": _K8S,
    "helm": tuple(f"kubernetes.{a}" for a in _K8S),
    "kubectl": _K8S,
    "github": ("token", "app_auth.pem_file"),
    "gitlab": ("token",),
    "cloudflare": ("api_token", "api_key"),
    "datadog": ("api_key", "app_key"),
    "digitalocean": ("token", "spaces_secret_key"),
    "tfe": ("token",),
    "azuredevops": ("personal_access_token",),
    "newrelic": ("api_key",),
    "pagerduty": ("token",),
    "okta": ("api_token", "private_key"),
    "auth0": ("client_secret", "api_token"),
    "snowflake": ("password", "private_key", "private_key_passphrase"),
    "mongodbatlas": ("private_key",),
    "postgresql": ("password",),
    "mysql": ("password",),
    "grafana": ("auth",),
    "heroku": ("api_key",),
    "hcloud": ("token",),
    "linode": ("token",),
    "openstack": ("password", "application_credential_secret"),
}


class ProviderCredentials(Rule):
    """## What it does
    Flags a `provider` block with credentials written literally in it: AWS
    `access_key` / `secret_key` / `token`, Azure `client_secret` or client certificate,
    Google `credentials` holding the JSON key itself, a Vault `token`, Kubernetes
    `token` / `password` / `client_key`, a GitHub `token`, and the API tokens of other
    common providers. A value from `file(...)`, an environment variable, a variable
    without default or a data source is not reported; a variable *default* is (the
    secret is still in the code). An AWS provider with `skip_credentials_validation = true`
    (LocalStack, moto, tests) uses dummy keys and is not reported.

    ## Why is this bad?
    Provider credentials are usually the most privileged secret in the whole
    configuration: the identity Terraform itself runs as. Written in a `.tf` file they
    land in Git history, in every clone and in the chat log they were pasted from, and
    they never expire on their own (OWASP NHI2, Secret Leakage).

    ## Example
    ```hcl
    provider "aws" {
      region     = "eu-west-1"
      access_key = "AKIA................"
      secret_key = "........................................"
    }
    ```

    ## Use instead
    Leave credentials out of the block and let the provider find them: environment
    variables, a shared profile, SSO, or workload identity federation (OIDC) in CI.
    ```hcl
    provider "aws" {
      region = "eu-west-1"
      assume_role {
        role_arn = "arn:aws:iam::123456789012:role/terraform"
      }
    }
    ```
    """

    id = "NHI_SEC_002"
    category = Category.SECRET_EXPOSURE
    severity = Severity.CRITICAL
    title = "Provider credentials written in the code"
    fix = (
        "Remove the credentials from the provider block and rotate them; use environment variables, "
        "a profile, or OIDC workload identity federation."
    )
    resource_types = tuple(sorted(PROVIDER_CREDENTIALS))
    modes = ("provider",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type == "aws" and res.get("skip_credentials_validation") is True:
            return
        found: list[str] = []
        for attr in PROVIDER_CREDENTIALS.get(res.type, ()):
            value = literal_string(res, attr)  # nested blocks: single-element lists are entered
            if value is None:
                continue
            if attr == "credentials" and not value.lstrip().startswith("{"):
                continue  # a path to a key file, not the key
            if attr == "app_auth.pem_file" and "-----BEGIN" not in value:
                continue
            found.append(attr)
        if found:
            names = ", ".join(f"`{p}`" for p in found)
            yield Violation(f"{res.address} has literal credentials in {names}", _line_path(res, found[0]))


def _line_path(res: Resource, attr: str) -> str:
    """The path under which the loader recorded the line (``kubernetes.0.token`` for a block)."""
    head, _, rest = attr.partition(".")
    indexed = f"{head}.0.{rest}" if rest else attr
    return indexed if rest and isinstance(res.attrs.get(head), list) else attr
