from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list, is_unknown, iter_blocks
from scanner.rules.base import Context, Rule, Violation

MS_GRAPH = "00000003-0000-0000-c000-000000000000"
#: Tier-0 Microsoft Graph application permissions (app role ids), from the Microsoft Graph permissions
#: reference; the tier follows the azure-tiering project
HIGH_RISK = {
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "8e8e4742-1d95-4f68-9d56-6ee75648c72a": "DelegatedPermissionGrant.ReadWrite.All",
    "31e08e0a-d3f7-4ca2-ac39-7343fb83e8ad": "RoleManagementPolicy.ReadWrite.Directory",
    "ab43b826-2c7a-4aff-9ecd-d0629d0ca6a9": "ADSynchronization.ReadWrite.All",
}
_BY_NAME = {name.lower(): guid for guid, name in HIGH_RISK.items()}


def _permission(value: object) -> str | None:
    if isinstance(value, str):
        return HIGH_RISK.get(value.strip().lower())
    if is_unknown(value):
        # `data.azuread_service_principal.msgraph.app_role_ids["Directory.ReadWrite.All"]`
        for name, guid in _BY_NAME.items():
            if f'"{name}"' in value.source.lower():
                return HIGH_RISK[guid]
    return None


class GraphHighRiskPermission(Rule):
    """## What it does
    Flags Microsoft Graph **application** permissions that control the tenant:
    RoleManagement.ReadWrite.Directory, AppRoleAssignment.ReadWrite.All,
    Application.ReadWrite.All, Directory.ReadWrite.All,
    DelegatedPermissionGrant.ReadWrite.All, RoleManagementPolicy.ReadWrite.Directory
    and ADSynchronization.ReadWrite.All, matched by their app role GUID (or by name
    through `data.azuread_service_principal.msgraph.app_role_ids["..."]`), in:

    * `azuread_application` `required_resource_access` for Microsoft Graph
      (`resource_app_id = "00000003-0000-0000-c000-000000000000"`) with
      `type = "Role"`;
    * `azuread_application_api_access` (`role_ids`) for Microsoft Graph;
    * `azuread_app_role_assignment` (`app_role_id`): the admin consent itself.

    Delegated permissions (`type = "Scope"`) act only with a signed-in user and are
    not reported.

    ## Why is this bad?
    Each of these lets the application grant itself, or any principal, Global
    Administrator or any other permission (RoleManagement, AppRoleAssignment), add
    credentials to any application (Application.ReadWrite.All), or rewrite the
    directory. A leaked client secret of such an app is a tenant takeover.

    ## Example
    ```hcl
    resource "azuread_application" "automation" {
      display_name = "automation"
      required_resource_access {
        resource_app_id = "00000003-0000-0000-c000-000000000000"
        resource_access {
          id   = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8" # RoleManagement.ReadWrite.Directory
          type = "Role"
        }
      }
    }
    ```

    ## Use instead
    Request the narrowest permissions that do the job (here User.Read.All and Group.Read.All;
    `Application.ReadWrite.OwnedBy` to manage its own apps), or a delegated scope:
    ```hcl
    resource "azuread_application_api_access" "automation_graph" {
      application_id = azuread_application.automation.id
      api_client_id  = "00000003-0000-0000-c000-000000000000"
      role_ids       = ["df021288-bdef-4463-88db-98f22de89214", "5b567255-7703-4780-807c-7be8301ae99b"]
    }
    ```
    A tenant-control permission that is truly needed deserves a review, and an admin consent, of its own.
    """

    id = "NHI_AZ_011"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "High-risk Microsoft Graph application permission"
    fix = "Request a narrower Graph permission (or a delegated scope); tenant-control permissions need a review."
    resource_types = ("azuread_application", "azuread_application_api_access", "azuread_app_role_assignment")

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        found: list[tuple[str, str]] = []
        if res.type == "azuread_application":
            for i, block in enumerate(iter_blocks(res.get("required_resource_access"))):
                if str(block.get("resource_app_id")).lower() != MS_GRAPH:
                    continue
                for access in iter_blocks(block.get("resource_access")):
                    name = _permission(access.get("id"))
                    if name and access.get("type") == "Role":
                        found.append((name, f"required_resource_access.{i}"))
        elif res.type == "azuread_application_api_access":
            if str(res.get("api_client_id")).lower() == MS_GRAPH:
                found += [(n, "role_ids") for n in (_permission(v) for v in as_list(res.get("role_ids"))) if n]
        else:
            name = _permission(res.get("app_role_id"))
            if name:
                found.append((name, "app_role_id"))
        if not found:
            return
        names = ", ".join(dict.fromkeys(n for n, _ in found))
        verb = "is granted" if res.type == "azuread_app_role_assignment" else "requests"
        yield Violation(
            f"{res.address} {verb} the Microsoft Graph application permission{'s' if len(found) > 1 else ''} "
            f"{names}: control of the Entra ID tenant",
            found[0][1],
            key=names,
        )
