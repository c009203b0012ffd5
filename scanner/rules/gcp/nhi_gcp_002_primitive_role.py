from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.gcp.iam import SCOPES, Binding, BindingRule, describe_target, resolve_members

#: the basic ("primitive") roles this rule reports, with their severity on a project, folder or organization
PRIMITIVE_ROLES = {"roles/owner": Severity.CRITICAL, "roles/editor": Severity.HIGH}
#: ... and on a single resource (a bucket, a secret, a topic, a service account)
RESOURCE_LEVEL = {"roles/owner": Severity.HIGH, "roles/editor": Severity.MEDIUM}



class PrimitiveRole(BindingRule):
    """## What it does
    Flags the basic roles `roles/owner` and `roles/editor`:

    * on a project, folder or organization (`google_{project,folder,organization}_iam_member`,
      `_binding` or `_policy`, including the bindings of a `data "google_iam_policy"` used as
      `policy_data`), granted to anyone: Owner critical, Editor high;
    * on a single resource (any other `google_<resource>_iam_member`, `_binding` or `_policy`:
      a service account, bucket, secret, topic, dataset, ...), granted to a **service account**
      or a Workload Identity Federation principal: Owner high, Editor medium, and Editor high on
      a service account (it includes acting as the account). Resource-level grants to people
      and groups are left to human access review.

    Every member that gains the role is named; `serviceAccount:${google_service_account.x.email}`
    (or `google_service_account.x.member`) is resolved to the service account it names. A
    member computed from something else (`var.member`) is not taken for a service account.

    ## Why is this bad?
    Basic roles predate IAM: Editor can change almost every resource in the project and
    Owner can also change IAM itself, so a leaked key of a service account holding one is
    a full compromise of the project (or of every project below a folder or organization).
    On a single resource a basic role still grants every permission of that resource type,
    IAM policy included for Owner: Owner of a service account can grant itself the right to
    impersonate it. Where a service rejects basic roles below the project (Cloud Storage does),
    the grant fails at apply and the next "fix" is often the project-level role. They are the
    textbook excessive privilege of OWASP NHI5, and the easy answer a chat assistant gives to
    a "permission denied" error.

    ## Example
    ```hcl
    resource "google_project_iam_member" "ci" {
      project = var.project_id
      role    = "roles/editor"
      member  = google_service_account.ci.member
    }
    ```

    ## Use instead
    Grant the predefined (or custom) roles the workload needs, on the narrowest resource:
    ```hcl
    resource "google_project_iam_member" "ci" {
      for_each = toset(["roles/run.developer", "roles/artifactregistry.writer"])
      project  = var.project_id
      role     = each.value
      member   = google_service_account.ci.member
    }
    ```
    On a single resource, grant its own role (`roles/secretmanager.secretAccessor` on one secret), not Owner.
    """

    id = "NHI_GCP_002"
    severity = Severity.CRITICAL
    title = "Basic role Owner or Editor granted"
    fix = "Replace roles/owner or roles/editor with the predefined or custom roles the workload needs."

    def check_binding(self, res: Resource, binding: Binding, ctx: Context) -> Iterable[Violation]:
        role = binding.role
        if not isinstance(role, str) or role not in PRIMITIVE_ROLES or not binding.members:
            return
        level = res.type.removeprefix("google_").rsplit("_iam_", 1)[0]
        members = resolve_members(binding, res, ctx)  # service accounts are read through the model
        condition = f" (under condition `{binding.condition}`)" if binding.condition else ""
        if level in SCOPES:
            severity = PRIMITIVE_ROLES[role]
            why = ""
        else:
            members = [m for m in members if m.machine]
            if not members:
                return
            severity = RESOURCE_LEVEL[role]
            if level == "service_account":
                severity = Severity.HIGH
                why = (
                    ": they can change who may impersonate that service account, themselves included"
                    if role == "roles/owner"
                    else ": they can act as that service account"
                )
            else:
                why = ": every permission of the role on that resource" + (
                    ", its IAM policy included" if role == "roles/owner" else ""
                )
        names = ", ".join(dict.fromkeys(m.text for m in members))
        yield Violation(
            f"{res.address} grants the basic role `{role}` on {describe_target(res, ctx)} to "
            f"{names}{condition}{why}",
            binding.path,
            key=f"{binding.key}:{role}" if binding.key else role,
            severity=severity,
        )
