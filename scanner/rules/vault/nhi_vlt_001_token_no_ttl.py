from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule
from scanner.rules.vault.ttl import is_set, unset


class VaultTokenNoTtl(NeverExpiresRule):
    """## What it does
    Flags a `vault_token` that has no lifetime: neither `ttl` nor `explicit_max_ttl`
    is set (key `ttl`). Also flags a periodic token, one with `period`, that has no
    `explicit_max_ttl` (key `period`): a periodic token can be renewed forever, and
    only `explicit_max_ttl` bounds it (`ttl` does not). A periodic token with
    `explicit_max_ttl` is not reported. Unknown values are not reported. Whether the
    token carries the `root` policy is out of scope for this rule.

    ## Why is this bad?
    A token without its own TTL gets the auth mount's default lease and, because the
    Terraform resource renews it (`renew_min_lease`), effectively lives as long as the
    configuration does. The token is also stored in Terraform state in clear text. A
    leaked long-lived Vault token opens every secret its policies can read (OWASP NHI7).

    ## Example
    ```hcl
    resource "vault_token" "ci" {
      policies = ["ci"]
      period   = "768h"
    }
    ```

    ## Use instead
    Give the token a short, hard lifetime, or better, let the workload log in itself
    (AppRole with expiring secret IDs, JWT/OIDC, Kubernetes auth) instead of minting a
    token in Terraform.
    ```hcl
    resource "vault_token" "ci" {
      policies         = ["ci"]
      ttl              = "24h"
      explicit_max_ttl = "72h"
      renewable        = false
    }
    ```
    """

    id = "NHI_VLT_001"
    severity = Severity.HIGH
    title = "Vault token never expires"
    fix = "Set `explicit_max_ttl` (and a short `ttl`), or let the workload authenticate itself via AppRole/JWT/OIDC."
    resource_types = ("vault_token",)

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        ttl, max_ttl, period = res.get("ttl"), res.get("explicit_max_ttl"), res.get("period")
        if not unset(max_ttl):  # a hard limit, or cannot tell
            return
        if is_set(period):
            yield Violation(
                f"{res.address} is a periodic token (`period`) without `explicit_max_ttl`: it can be renewed forever",
                "period",
                key="period",
            )
        elif unset(ttl) and unset(period):
            yield Violation(
                f"{res.address} sets neither `ttl` nor `explicit_max_ttl`: the token has no lifetime of its own",
                key="ttl",
            )
