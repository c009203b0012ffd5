from __future__ import annotations

from collections.abc import Iterable

from scanner.model.nhi_types import nhi_type
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule


class PasswordWithoutEndDate(NeverExpiresRule):
    """## What it does
    Flags an `azuread_application_password` or `azuread_service_principal_password`
    (an Entra ID client secret) that sets neither `end_date` nor `end_date_relative`.
    An unknown value (e.g. `timeadd(time_rotating.x.id, "1440h")`) counts as set.

    ## Why is this bad?
    Without an end date Microsoft Graph issues the secret for its default of two years,
    and nothing in the code says when, or whether, it is rotated (OWASP NHI7). Client
    secrets are bearer credentials: they end up in pipeline variables and app settings,
    and a two-year secret nobody tracks is how tenants are breached.

    ## Example
    ```hcl
    resource "azuread_application_password" "ci" {
      application_id = azuread_application.ci.id
    }
    ```

    ## Use instead
    Prefer federated identity credentials (`azuread_application_federated_identity_credential`)
    or a managed identity. If a secret is unavoidable, bound and rotate it:
    ```hcl
    resource "time_rotating" "ci" {
      rotation_days = 60
    }

    resource "azuread_application_password" "ci" {
      application_id      = azuread_application.ci.id
      end_date            = timeadd(time_rotating.ci.id, "2160h")
      rotate_when_changed = { rotation = time_rotating.ci.id }
    }
    ```
    """

    id = "NHI_AZ_001"
    severity = Severity.HIGH
    title = "Entra ID client secret has no end date"
    fix = (
        "Use a federated identity credential or managed identity; otherwise set `end_date` "
        "(rotated with time_rotating) within the maximum lifetime."
    )
    resource_types = ("azuread_application_password", "azuread_service_principal_password")
    cross_resource = True
    lifetime_attrs = ("end_date", "end_date_relative")

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield Violation(
            f"client secret {res.address} (for {_owner(res, ctx)}) sets neither `end_date` nor "
            "`end_date_relative`: Microsoft Graph issues it for two years and nothing rotates it",
            _pointer(res),
        )


def _pointer(res: Resource) -> str | None:
    spec = nhi_type(res.type)
    attrs = spec.parent[0] if spec and spec.parent else ()
    return next((a for a in attrs if not is_missing(res.get(a))), None)


def _owner(res: Resource, ctx: Context) -> str:
    spec = nhi_type(res.type)
    if spec and spec.parent:
        attrs, types = spec.parent
        for attr in attrs:
            found = ctx.model.referenced(res, attr, *types)
            if found:
                return found[0].address
            value = res.get(attr)
            if isinstance(value, str):
                return f"`{value}`"
    return (
        "an application defined elsewhere"
        if res.type == "azuread_application_password"
        else ("a service principal defined elsewhere")
    )
