from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.iam import service_account_label
from scanner.rules.lifetime import NeverExpiresRule


class ServiceAccountKey(NeverExpiresRule):
    """## What it does
    Flags every `google_service_account_key`: a user-managed service-account key.
    A key Google generates is valid until deleted (`valid_before` is computed, not
    settable); a key uploaded through `public_key_data` is bounded by its
    certificate's validity, so it is reported with medium severity.

    ## Why is this bad?
    A service-account key is a long-lived bearer credential (OWASP NHI7): whoever holds
    the JSON file is the service account, from anywhere, until someone deletes the key.
    Keys leak through CI variables, laptops, container images and chat logs, and the
    private key is also written to Terraform state. Google recommends not creating
    them at all (organization policy `iam.disableServiceAccountKeyCreation`).

    ## Example
    ```hcl
    resource "google_service_account_key" "ci" {
      service_account_id = google_service_account.ci.name
    }
    ```

    ## Use instead
    Let the workload borrow the service account instead of holding a key: Workload
    Identity Federation for CI (GitHub Actions, GitLab) and other clouds, GKE Workload
    Identity, or a service account attached to the VM, Cloud Run service or function.
    ```hcl
    resource "google_service_account_iam_member" "ci_wif" {
      service_account_id = google_service_account.ci.name
      role               = "roles/iam.workloadIdentityUser"
      member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/attribute.repository/acme/app"
    }
    ```
    """

    id = "NHI_GCP_001"
    severity = Severity.HIGH
    title = "Service-account key never expires"
    fix = (
        "Drop the key: use Workload Identity Federation (CI, other clouds), GKE Workload Identity "
        "or an attached service account."
    )
    resource_types = ("google_service_account_key",)
    cross_resource = True

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        owner = service_account_label(res, "service_account_id", ctx)
        if is_missing(res.get("public_key_data")):
            yield Violation(
                f"{res.address} creates a user-managed key for {owner} that never expires "
                "(a generated key is valid until it is deleted)",
                "service_account_id",
            )
        else:
            yield Violation(
                f"{res.address} uploads a key for {owner}; it stays valid until its certificate "
                "expires or the key is deleted",
                "public_key_data",
                severity=Severity.MEDIUM,
            )
