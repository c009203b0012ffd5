from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.iam import service_account_label
from scanner.rules.lifetime import NeverExpiresRule


class HmacKeyNeverExpires(NeverExpiresRule):
    """## What it does
    Flags every `google_storage_hmac_key`: an HMAC key of a service account, for
    Cloud Storage's S3-compatible XML API. It has no expiry; it is valid until it is
    set `INACTIVE` and deleted. A key created with `state = "INACTIVE"` is not
    reported.

    ## Why is this bad?
    The access ID and secret are a long-lived credential of the service account
    (OWASP NHI7), copied into S3 tools' configuration files and CI variables, and
    the secret is written to Terraform state. Anyone who holds it reads and writes
    every bucket the service account can, until someone deletes the key.

    ## Example
    ```hcl
    resource "google_storage_hmac_key" "backup" {
      service_account_email = google_service_account.backup.email
    }
    ```

    ## Use instead
    Use the JSON API with the service account's own identity (an attached service
    account, Workload Identity Federation), or a client library that signs with
    OAuth: grant the account the bucket, not a key.
    ```hcl
    resource "google_storage_bucket_iam_member" "backup_writer" {
      bucket = "acme-backups"
      role   = "roles/storage.objectCreator"
      member = google_service_account.backup.member
    }
    ```
    Where an S3 tool needs HMAC, keep the key in Secret Manager and rotate it on a
    schedule by creating a new key and deleting the old one.
    """

    id = "NHI_GCP_005"
    severity = Severity.HIGH
    title = "Cloud Storage HMAC key never expires"
    fix = "Use the service account's identity with the JSON API, or rotate the HMAC key on a schedule."
    resource_types = ("google_storage_hmac_key",)
    cross_resource = True
    inactive_when = ("state", "INACTIVE")

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        owner = service_account_label(res, "service_account_email", ctx)
        yield Violation(
            f"{res.address} creates an HMAC key for {owner} that never expires (valid until it is deleted)",
            "service_account_email",
        )
