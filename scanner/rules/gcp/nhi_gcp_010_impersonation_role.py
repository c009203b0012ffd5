from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.iam import SCOPE_GRANT_TYPES, Binding, BindingRule, describe_members, describe_target

#: roles that let a member act as, mint tokens for, or create keys of any service account below the scope
IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountUser": "act as (attach and run code as) every service account",
    "roles/iam.serviceAccountTokenCreator": "mint access and ID tokens for every service account",
    "roles/iam.serviceAccountKeyAdmin": "create keys for every service account",
    "roles/iam.workloadIdentityUser": "impersonate every service account through workload identity",
    "roles/iam.serviceAccountAdmin": "change the IAM policy of every service account, then impersonate it",
}


class ImpersonationRoleBroad(BindingRule):
    """## What it does
    Flags a service-account impersonation or key role granted on a project, folder or
    organization (`google_{project,folder,organization}_iam_{member,binding,policy}`):
    `roles/iam.serviceAccountUser`, `roles/iam.serviceAccountTokenCreator`,
    `roles/iam.serviceAccountKeyAdmin`, `roles/iam.workloadIdentityUser` and
    `roles/iam.serviceAccountAdmin`. High on a project, critical on a folder or the
    organization. Every member is named; `serviceAccount:${google_service_account.x.email}`
    is shown as the reference it is. Granted on one service account
    (`google_service_account_iam_member`), the same roles are the normal, scoped way
    to allow impersonation and are not reported.

    ## Why is this bad?
    At project level these roles apply to every service account in the project,
    including the most privileged one (often the default Compute Engine account with
    Editor). The member can then act as any of them: the classic GCP privilege
    escalation (Rhino Security Labs' GCP research). At folder or organization level it
    is every service account of every project below.

    ## Example
    ```hcl
    resource "google_project_iam_member" "ci_impersonate" {
      project = "acme-prod"
      role    = "roles/iam.serviceAccountTokenCreator"
      member  = "serviceAccount:${google_service_account.ci.email}"
    }
    ```

    ## Use instead
    Grant the role on the one service account the member needs to impersonate:
    ```hcl
    resource "google_service_account_iam_member" "ci_impersonate_deployer" {
      service_account_id = google_service_account.deployer.name
      role               = "roles/iam.serviceAccountTokenCreator"
      member             = google_service_account.ci.member
    }
    ```
    The member can then impersonate that account only, not every account of the project.
    """

    id = "NHI_GCP_010"
    severity = Severity.HIGH
    title = "Service-account impersonation or key role granted on a project, folder or organization"
    fix = "Grant the role on the specific service account (google_service_account_iam_member), not the project."
    resource_types = SCOPE_GRANT_TYPES
    resource_patterns = ()  # only grants on a project, folder or organization

    def check_binding(self, res: Resource, binding: Binding, ctx: Context) -> Iterable[Violation]:
        role = binding.role
        if not isinstance(role, str) or role not in IMPERSONATION_ROLES or not binding.members:
            return
        level = res.type.removeprefix("google_").split("_iam_", 1)[0]
        scope = "project" if level == "project" else f"{level} (every project below it)"
        yield Violation(
            f"{res.address} grants `{role}` on {describe_target(res)} to "
            f"{describe_members(binding, res, ctx)}: they can {IMPERSONATION_ROLES[role]} in the {scope}",
            binding.path,
            key=f"{binding.key}:{role}" if binding.key else role,
            severity=Severity.HIGH if level == "project" else Severity.CRITICAL,
        )
