"""What each identity can do: its grants, as readable lines, and a digest of them.

Between the IAM layer (scanner/iam/, which reads policies and bindings) and the rules: the
approval rules compare an identity's grants with the ones its approval was given for, and the
inventory and the evidence record show them. :func:`entitlements_of` is the one entry point.

Per platform (one module each): AWS roles and users (:mod:`.aws`), Google service accounts
(:mod:`.gcp`), Azure and Entra ID principals (:mod:`.azure`), Kubernetes service accounts
(:mod:`.kubernetes`), Vault AppRole roles and tokens (:mod:`.vault`). Other NHI types have no
grants of their own (a credential acts as its identity; a secret grants nothing): None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from scanner.entitlements.grants import Entitlements, diff, digest_of, is_unknown_line

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

__all__ = ["GRANTED_TYPES", "Entitlements", "diff", "digest_of", "entitlements_of", "is_unknown_line"]


def _readers() -> dict[str, Callable[[Resource, Context], Iterator[str]]]:
    from scanner.entitlements import aws, azure, gcp, kubernetes, vault

    return {t: module.lines for module in (aws, gcp, azure, kubernetes, vault) for t in module.TYPES}


GRANTED_TYPES = (
    "aws_iam_role",
    "aws_iam_user",
    "google_service_account",
    "azurerm_user_assigned_identity",
    "azuread_service_principal",
    "azuread_application",
    "kubernetes_service_account",
    "kubernetes_service_account_v1",
    "vault_approle_auth_backend_role",
    "vault_token",
)


def entitlements_of(res: Resource, ctx: Context) -> Entitlements | None:
    """The grants of an identity (None for a type that has none), computed once per scan.

    A secret value of the scan that found its way into a grant (a policy that quotes a token) is
    masked before the digest is taken, so neither the lines nor the digest derive from it.
    """
    if res.type not in GRANTED_TYPES or res.mode != "managed":
        return None
    key = ("entitlements", id(res))
    found: Entitlements | None = ctx.memo.get(key)
    if found is None:
        readers = ctx.memo.get(("entitlements.readers",))
        if readers is None:
            readers = ctx.memo[("entitlements.readers",)] = _readers()
        lines = list(readers[res.type](res, ctx))
        if ctx.secrets:
            from scanner.policy.redact import Redactor

            redactor = ctx.memo.get(("entitlements.redactor",))
            if redactor is None:
                redactor = ctx.memo[("entitlements.redactor",)] = Redactor(set(ctx.secrets))
            lines = [redactor.text(line) for line in lines]
        found = ctx.memo[key] = Entitlements.of(lines)
    return found
