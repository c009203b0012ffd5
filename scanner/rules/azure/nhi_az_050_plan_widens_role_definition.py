from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.iam.policy_grammar import glob_match
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_unknown, iter_blocks, known_strings
from scanner.rules.base import Context, Violation
from scanner.rules.plan_update import WideningRule


@dataclass(frozen=True)
class Block:
    """One ``permissions`` block: the allowed and excluded patterns of one kind (control or data plane)."""

    allowed: tuple[str, ...]
    excluded: tuple[str, ...]


def _strings(value: Any) -> list[str] | None:
    items = known_strings(value)
    return None if items is None else [v.strip() for v in items if v.strip()]


def _blocks(value: Any, allow_key: str, deny_key: str) -> list[Block] | None:
    """The permissions blocks for one plane; None when they cannot be read."""
    if is_unknown(value):
        return None
    out: list[Block] = []
    for block in iter_blocks(value):
        allowed, excluded = _strings(block.get(allow_key)), _strings(block.get(deny_key))
        if allowed is None or excluded is None:
            return None
        out.append(Block(tuple(allowed), tuple(excluded)))
    return out


def _granted_by(old: list[Block], action: str) -> bool:
    """An old block allowed all of ``action`` (a pattern): an allowed pattern covers it, no exclusion does."""
    return any(
        any(glob_match(a, action) for a in block.allowed) and not any(glob_match(e, action) for e in block.excluded)
        for block in old
    )


def widened(old: list[Block], new: list[Block]) -> tuple[list[str], list[str]]:
    """(patterns added, exclusions dropped) from ``old`` to ``new``."""
    added: list[str] = []
    for block in new:
        for action in block.allowed:
            if any(glob_match(e, action) for e in block.excluded):
                continue  # excluded in its own block: grants nothing
            if not _granted_by(old, action) and action not in added:
                added.append(action)
    dropped: list[str] = []
    for block in old:
        for excl in block.excluded:
            reopened = any(
                any(glob_match(a, excl) for a in nb.allowed) and not any(glob_match(e, excl) for e in nb.excluded)
                for nb in new
            )
            # an added pattern that covers the exclusion already says it
            if reopened and excl not in dropped and not any(glob_match(a, excl) for a in added):
                dropped.append(excl)
    return added, dropped


def _scopes(value: Any) -> list[str] | None:
    items = _strings(value)
    return None if items is None else [s.rstrip("/") or "/" for s in items]


def _scope_covers(old: str, new: str) -> bool:
    o, n = old.lower(), new.lower()
    return o in ("/", n) or n.startswith(o + "/")


def _is_read(action: str) -> bool:
    return action.lower().endswith("/read")


class PlanWidensRoleDefinition(WideningRule):
    """## What it does
    For an Azure custom role (`azurerm_role_definition`) that a plan **updates** in place,
    lists exactly what the update adds, compared with the role before it:

    * `permissions` `actions` and `data_actions` patterns not granted before (matched as
      patterns, case-insensitively: `Microsoft.Storage/*` already covers
      `Microsoft.Storage/storageAccounts/read`);
    * `not_actions` and `not_data_actions` exclusions dropped while an action still
      covers them (`*` minus `Microsoft.Authorization/*/Write` becoming plain `*`);
    * `assignable_scopes` outside the old ones (a subscription added to a role that was
      assignable in one resource group).

    Values unknown before apply are not compared. Only plan JSON has a *before*; HCL and
    chat answers never trigger this rule. Additions that only read (`.../read`) or only
    widen `assignable_scopes` are medium, the rest high. (An `azurerm_role_assignment`
    cannot change its scope or role in place: Terraform replaces it, and the new assignment
    is checked by NHI_AZ_003.)

    ## Why is this bad?
    Every identity assigned the custom role gains what the update adds, everywhere the role
    is assigned, without any new assignment to review. In a diff it is one more string in a
    list; `Microsoft.Authorization/roleAssignments/write` added to a deployment role lets
    each of its holders make itself Owner.

    ## Example
    A plan that updates the role, which could read web apps, so that it can also assign roles:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "azurerm_role_definition.deployer",
      "mode": "managed", "type": "azurerm_role_definition", "name": "deployer", "change": {"actions": ["update"],
      "before": {"name": "app-deployer", "permissions": [{"actions": ["Microsoft.Web/sites/read"]}]},
      "after": {"name": "app-deployer", "permissions": [{"actions": ["Microsoft.Web/sites/read",
        "Microsoft.Authorization/roleAssignments/write"]}]}}}]}
    ```

    ## Use instead
    Leave the new action out: an update that grants nothing new (here it narrows `assignable_scopes`
    to one resource group) is not reported. What the role must gain goes in a change of its own,
    reviewed and approved as a widening.
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "azurerm_role_definition.deployer", "mode": "managed",
      "type": "azurerm_role_definition", "name": "deployer", "change": {"actions": ["update"],
      "before": {"assignable_scopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"]},
      "after": {"assignable_scopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/app"]}}}]}
    ```
    """

    id = "NHI_AZ_050"
    severity = Severity.HIGH
    title = "Plan widens an Azure custom role definition (privilege widening)"
    fix = "Review the added actions and scopes; keep only what the change needs and record the approval."
    resource_types = ("azurerm_role_definition",)

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        parts: list[str] = []
        high = False
        for allow_key, deny_key, noun in (
            ("actions", "not_actions", "actions"),
            ("data_actions", "not_data_actions", "data actions"),
        ):
            old = _blocks(before.get("permissions"), allow_key, deny_key)
            new = _blocks(res.get("permissions"), allow_key, deny_key)
            if old is None or new is None:
                continue
            added, dropped = widened(old, new)
            if added:
                parts.append(f"adds {noun} " + ", ".join(f"`{a}`" for a in added))
                high = high or not all(_is_read(a) for a in added)
            if dropped:
                parts.append(f"no longer excludes {noun} " + ", ".join(f"`{d}`" for d in dropped))
                high = high or not all(_is_read(d) for d in dropped)
        old_scopes, new_scopes = _scopes(before.get("assignable_scopes")), _scopes(res.get("assignable_scopes"))
        if old_scopes is not None and new_scopes is not None:
            wider = [s for s in new_scopes if not any(_scope_covers(o, s) for o in old_scopes)]
            if wider:
                parts.append("adds assignable scopes " + ", ".join(f"`{s}`" for s in wider))
        if parts:
            yield Violation(
                f"privilege widening: this update of custom role {res.address} " + "; ".join(parts),
                "permissions" if not parts[0].startswith("adds assignable") else "assignable_scopes",
                key="widening",
                severity=Severity.HIGH if high else Severity.MEDIUM,
            )
