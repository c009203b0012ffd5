from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule
from scanner.rules.vault.ttl import is_set, unset

TOKEN_LIMITS = ("token_ttl", "token_max_ttl", "token_explicit_max_ttl")


class AppRoleNoExpiry(NeverExpiresRule):
    """## What it does
    Flags a `vault_approle_auth_backend_role` whose credentials never expire, one
    finding per problem:

    * key `secret_id_ttl`: `secret_id_ttl` is unset or `0`, so every secret ID issued
      for the role is valid forever;
    * key `token_ttl`: none of `token_ttl`, `token_max_ttl`, `token_explicit_max_ttl`
      is set, so login tokens fall back to the mount defaults;
    * key `token_period`: `token_period` is set without `token_explicit_max_ttl`, so
      login tokens are periodic and can be renewed forever.

    Unknown values are not reported.

    ## Why is this bad?
    The AppRole secret ID is the password of a machine. One that never expires ends up
    in CI variables and config files and stays valid long after the pipeline that used
    it is gone (OWASP NHI7). Tokens without a bound let a single login outlive any
    rotation.

    ## Example
    ```hcl
    resource "vault_approle_auth_backend_role" "ci" {
      backend        = vault_auth_backend.approle.path
      role_name      = "ci"
      token_policies = ["ci"]
    }
    ```

    ## Use instead
    Bound the secret IDs, and the tokens they log in to:
    ```hcl
    resource "vault_approle_auth_backend_role" "ci" {
      backend            = vault_auth_backend.approle.path
      role_name          = "ci"
      secret_id_ttl      = 86400 # 1 day
      secret_id_num_uses = 10
      token_policies     = ["ci"]
      token_ttl          = 1200
      token_max_ttl      = 3600
    }
    ```
    """

    id = "NHI_VLT_002"
    severity = Severity.HIGH
    title = "Vault AppRole credentials never expire"
    fix = (
        "Set `secret_id_ttl`, and bound login tokens with `token_ttl` / `token_max_ttl` (no unbounded `token_period`)."
    )
    resource_types = ("vault_approle_auth_backend_role",)

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if unset(res.get("secret_id_ttl")):
            yield Violation(
                f"{res.address} issues secret IDs that never expire (`secret_id_ttl` unset or 0)",
                "secret_id_ttl",
                key="secret_id_ttl",
            )
        limits = [res.get(a) for a in TOKEN_LIMITS]
        if is_set(res.get("token_period")) and unset(res.get("token_explicit_max_ttl")):
            yield Violation(
                f"{res.address} issues periodic tokens (`token_period`) without `token_explicit_max_ttl`: "
                "they can be renewed forever",
                "token_period",
                key="token_period",
            )
        elif all(unset(v) for v in limits) and unset(res.get("token_period")):
            yield Violation(
                f"{res.address} sets no token lifetime (`token_ttl`, `token_max_ttl` or `token_explicit_max_ttl`)",
                key="token_ttl",
            )
