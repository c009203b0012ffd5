from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule


class SecretWithoutRotationOrExpiry(NeverExpiresRule):
    """## What it does
    Flags a `google_secret_manager_secret` with none of a `rotation` block, an
    `expire_time` or a `ttl`. An unknown value (a variable, a `dynamic "rotation"`
    block) counts as set.

    ## Why is this bad?
    Such a secret lives, unchanged, until someone remembers to delete it (OWASP NHI7).
    Without a rotation schedule nobody is even reminded to rotate the credential inside
    it, so a value that leaked once stays valid for good.

    ## Example
    ```hcl
    resource "google_secret_manager_secret" "api_token" {
      secret_id = "partner-api-token"
      replication {
        auto {}
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "google_secret_manager_secret" "api_token" {
      secret_id = "partner-api-token"
      replication {
        auto {}
      }
      topics {
        name = google_pubsub_topic.secret_rotation.id
      }
      rotation {
        rotation_period    = "2592000s" # 30 days
        next_rotation_time = "2026-12-01T00:00:00Z"
      }
    }
    ```
    Or bound its life with `ttl = "7776000s"` / `expire_time` when the secret is temporary.
    """

    id = "NHI_GCP_004"
    severity = Severity.MEDIUM
    title = "Secret Manager secret has no rotation or expiry"
    fix = "Add a `rotation` schedule (with a Pub/Sub topic that triggers rotation), or `ttl`/`expire_time`."
    resource_types = ("google_secret_manager_secret",)
    lifetime_attrs = ("rotation", "expire_time", "ttl")

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield Violation(
            f"secret {res.address} has no `rotation` schedule, `expire_time` or `ttl`: "
            "it is never rotated and lives until deleted",
            "secret_id",
        )
