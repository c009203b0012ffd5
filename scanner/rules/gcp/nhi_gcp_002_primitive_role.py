from __future__ import annotations

from collections.abc import Iterable

from scanner.model import Resource
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.gcp.iam import bindings, describe_members, describe_target
from scanner.severity import Category, Severity

#: the basic ("primitive") roles this rule reports, with their severity
PRIMITIVE_ROLES = {"roles/owner": Severity.CRITICAL, "roles/editor": Severity.HIGH}

RESOURCE_TYPES = tuple(
    f"google_{level}_iam_{kind}"
    for level in ("project", "folder", "organization")
    for kind in ("member", "binding", "policy")
)


class PrimitiveRole(Rule):
    """## What it does
    Flags the basic roles `roles/owner` (critical) and `roles/editor` (high) granted on a
    project, folder or organization through `google_*_iam_member`, `google_*_iam_binding`
    or `google_*_iam_policy` (including the bindings of a `data "google_iam_policy"`
    used as `policy_data`). Every member that gains the role is named.

    ## Why is this bad?
    Basic roles predate IAM: Editor can change almost every resource in the project and
    Owner can also change IAM itself, so a leaked key of a service account holding one is
    a full compromise of the project (or of every project below a folder or organization).
    They are the textbook excessive privilege of OWASP NHI5, and the easy answer a chat
    assistant gives to a "permission denied" error.

    ## Example
    ```hcl
    resource "google_project_iam_member" "ci" {
      project = "acme-prod"
      role    = "roles/editor"
      member  = "serviceAccount:${google_service_account.ci.email}"
    }
    ```

    ## Use instead
    Grant the predefined (or custom) roles the workload needs, on the narrowest resource:
    ```hcl
    resource "google_project_iam_member" "ci" {
      project = "acme-prod"
      role    = "roles/run.developer"
      member  = "serviceAccount:${google_service_account.ci.email}"
    }
    ```
    """

    id = "NHI_GCP_002"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "Basic role Owner or Editor granted"
    fix = "Replace roles/owner or roles/editor with the predefined or custom roles the workload needs."
    resource_types = RESOURCE_TYPES
    cross_resource = True  # a deferred data "google_iam_policy" in a plan is read through the model

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for binding in bindings(res, ctx):
            role = binding.role
            if not isinstance(role, str) or role not in PRIMITIVE_ROLES or not binding.members:
                continue
            condition = f" (under condition `{binding.condition}`)" if binding.condition else ""
            yield Violation(
                f"{res.address} grants the basic role `{role}` on {describe_target(res)} to "
                f"{describe_members(binding)}{condition}",
                binding.path,
                key=f"{binding.key}:{role}" if binding.key else role,
                severity=PRIMITIVE_ROLES[role],
            )
