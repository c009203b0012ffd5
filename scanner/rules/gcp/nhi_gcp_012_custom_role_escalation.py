from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.policy_grammar import glob_match
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list
from scanner.rules.base import Context, Rule, Violation

#: permissions that let the holder become another identity or change who may (Rhino Security Labs,
#: "Privilege Escalation in Google Cloud Platform"; Sonar S6408)
ESCALATION_PERMISSIONS = {
    "iam.serviceAccounts.actAs": "run resources as any service account it can see",
    "iam.serviceAccounts.getAccessToken": "mint access tokens for service accounts",
    "iam.serviceAccounts.getOpenIdToken": "mint ID tokens for service accounts",
    "iam.serviceAccounts.implicitDelegation": "impersonate through delegation chains",
    "iam.serviceAccounts.signBlob": "sign as service accounts",
    "iam.serviceAccounts.signJwt": "sign JWTs as service accounts",
    "iam.serviceAccountKeys.create": "create long-lived keys for service accounts",
    "iam.serviceAccounts.setIamPolicy": "grant itself impersonation of service accounts",
    "iam.roles.update": "add any permission to custom roles it holds",
    "resourcemanager.projects.setIamPolicy": "grant itself any role on the project",
    "resourcemanager.folders.setIamPolicy": "grant itself any role on the folder",
    "resourcemanager.organizations.setIamPolicy": "grant itself any role on the organization",
}
CUSTOM_ROLE_TYPES = ("google_project_iam_custom_role", "google_organization_iam_custom_role")


class CustomRoleEscalation(Rule):
    """## What it does
    Flags a custom role (`google_project_iam_custom_role`,
    `google_organization_iam_custom_role`) whose `permissions` include one that lets
    the holder become another identity or grant itself more:
    `iam.serviceAccounts.actAs`, `getAccessToken`, `getOpenIdToken`,
    `implicitDelegation`, `signBlob`, `signJwt`, `iam.serviceAccountKeys.create`,
    `iam.serviceAccounts.setIamPolicy`, `iam.roles.update`, and
    `resourcemanager.{projects,folders,organizations}.setIamPolicy`. A wildcard
    permission pattern is matched too. Roles with `deleted = true` are not reported.

    ## Why is this bad?
    A custom role looks narrow because it is custom; one of these permissions makes it
    an escalation path: `actAs` plus any compute permission runs code as the most
    privileged service account, `getAccessToken` and `keys.create` hand out its
    credentials, and `setIamPolicy` grants anything.

    ## Example
    ```hcl
    resource "google_project_iam_custom_role" "deployer" {
      role_id     = "deployer"
      title       = "Deployer"
      permissions = ["run.services.update", "iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create"]
    }
    ```

    ## Use instead
    Keep the custom role to the service's own permissions, and grant
    `roles/iam.serviceAccountUser` on the one runtime service account:
    ```hcl
    resource "google_project_iam_custom_role" "deployer" {
      role_id     = "deployer"
      title       = "Deployer"
      permissions = ["run.services.get", "run.services.update"]
    }
    ```
    """

    id = "NHI_GCP_012"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.HIGH
    title = "Custom role holds impersonation or IAM-changing permissions"
    fix = "Remove actAs/getAccessToken/keys.create/setIamPolicy from the custom role; grant impersonation per account."
    resource_types = CUSTOM_ROLE_TYPES

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.get("deleted") is True:
            return
        found: dict[str, str] = {}
        for perm in as_list(res.get("permissions")):
            if not isinstance(perm, str):
                continue
            for name, why in ESCALATION_PERMISSIONS.items():
                if glob_match(perm, name):
                    found[name] = why
        if found:
            shown = "; ".join(f"`{p}` ({why})" for p, why in found.items())
            yield Violation(f"custom role {res.address} holds {shown}", "permissions", key=",".join(found))
