from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list, iter_blocks
from scanner.rules.base import Context, Rule, Violation

#: action patterns that amount to control of the scope, lower-cased
_AUTHORIZATION = ("microsoft.authorization/*", "microsoft.authorization/*/write")
_ASSIGN = ("microsoft.authorization/roleassignments/write", "microsoft.authorization/roledefinitions/write")


def dangerous_actions(actions: list[object]) -> tuple[list[str], bool]:
    """(offending actions, whether one is ``*``) among a permissions block's ``actions``."""
    found: list[str] = []
    star = False
    for action in actions:
        if not isinstance(action, str):
            continue
        low = action.strip().lower()
        if low == "*":
            found.append(action)
            star = True
        elif low in _AUTHORIZATION or low in _ASSIGN or low == "microsoft.authorization/*/*":
            found.append(action)
    return found, star


class CustomRoleWildcard(Rule):
    """## What it does
    Flags an `azurerm_role_definition` whose `permissions` block allows `"*"`
    (critical) or `Microsoft.Authorization/*`, `Microsoft.Authorization/*/write`,
    `.../roleAssignments/write` or `.../roleDefinitions/write` (high). `not_actions`
    that exclude the same authorization actions are taken into account for `"*"`:
    `"*"` minus `Microsoft.Authorization/*/Write` is Contributor, still reported,
    at high.

    ## Why is this bad?
    `"*"` is Owner under another name. `Microsoft.Authorization/*` (or role
    assignment write) lets the identity assign itself any role, Owner included, at
    every scope the role is assignable to. Custom roles hide this behind a friendly
    name; CIS Azure 1.23 forbids custom owner roles.

    ## Example
    ```hcl
    resource "azurerm_role_definition" "deployer" {
      name  = "app-deployer"
      scope = data.azurerm_subscription.current.id
      permissions {
        actions = ["*"]
      }
    }
    ```

    ## Use instead
    ```hcl
    resource "azurerm_role_definition" "deployer" {
      name  = "app-deployer"
      scope = data.azurerm_subscription.current.id
      permissions {
        actions = ["Microsoft.Web/sites/read", "Microsoft.Web/sites/write", "Microsoft.Web/sites/restart/action"]
      }
    }
    ```
    """

    id = "NHI_AZ_010"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "Custom Azure role allows every action or role assignment"
    fix = "List the resource-provider actions the identity needs; never * or Microsoft.Authorization/* writes."
    resource_types = ("azurerm_role_definition",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for i, block in enumerate(iter_blocks(res.get("permissions"))):
            found, star = dangerous_actions(as_list(block.get("actions")))
            if not found:
                continue
            excluded = {str(a).lower() for a in as_list(block.get("not_actions")) if isinstance(a, str)}
            minus_auth = star and any(e.startswith("microsoft.authorization/") for e in excluded)
            shown = ", ".join(f"`{a}`" for a in found)
            what = "every action except authorization changes (Contributor)" if minus_auth else (
                "every action (Owner)" if star else "assigning roles, itself included"
            )
            yield Violation(
                f"custom role {res.address} allows {shown}: {what}",
                f"permissions.{i}.actions",
                key=f"permissions.{i}",
                severity=Severity.CRITICAL if star and not minus_auth else Severity.HIGH,
            )
