from __future__ import annotations

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.gcp.iam import MemberRule, grant_kind

#: IAM principals that stand for everyone
PUBLIC_MEMBERS = {
    "allUsers": "anyone on the internet, without signing in",
    "allAuthenticatedUsers": "anyone with any Google account",
}


class PublicIamMember(MemberRule):
    """## What it does
    Flags `allUsers` or `allAuthenticatedUsers` as a member in any Google IAM grant:
    every resource type named `google_<resource>_iam_member`, `google_<resource>_iam_binding`
    or `google_<resource>_iam_policy` (project, bucket, topic, secret, Cloud Run service,
    service account, ...), including bindings rendered from a `data "google_iam_policy"`.

    ## Why is this bad?
    `allUsers` is anyone on the internet; `allAuthenticatedUsers` is anyone with a Google
    account, which is not "our organization". Granting them a role turns a non-human
    access path into a public one: public buckets and secrets, anyone impersonating a
    service account, anyone invoking a function that runs with a privileged identity.

    ## Example
    ```hcl
    resource "google_cloud_run_v2_service_iam_binding" "invokers" {
      location = "europe-west1"
      name     = google_cloud_run_v2_service.api.name
      role     = "roles/run.invoker"
      members  = ["allUsers"]
    }
    ```

    ## Use instead
    Grant the role to the identities that need it (a service account, a group, a
    Workload Identity principal), or serve public content through a CDN or signed URLs.
    ```hcl
    resource "google_cloud_run_v2_service_iam_binding" "invokers" {
      location = "europe-west1"
      name     = google_cloud_run_v2_service.api.name
      role     = "roles/run.invoker"
      members  = [google_service_account.frontend.member]
    }
    ```
    Callers then send an identity token (`gcloud auth print-identity-token`, or the client library).
    """

    id = "NHI_GCP_003"
    severity = Severity.HIGH
    title = "IAM grant to allUsers or allAuthenticatedUsers"
    fix = "Grant the role to specific service accounts, groups or Workload Identity principals instead of everyone."

    def applies_to(self, res: Resource) -> bool:
        # Google has an IAM trio for well over a hundred resource kinds; match the naming scheme.
        return res.mode in self.modes and grant_kind(res) is not None

    def member_problem(self, member: str) -> str | None:
        return PUBLIC_MEMBERS.get(member)
