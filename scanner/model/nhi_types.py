"""Which Terraform resource types are non-human identities, and where their metadata lives.

``kind`` is one of identity, credential, secret, grant. Ownership and approval
rules apply to identities, credentials and secrets only. ``meta`` lists
attribute paths holding key/value maps (tags, labels, annotations), first match
wins per key; ``text_meta`` lists free-text attributes read for ``key=value``
pairs (the fallback for types without tags); ``parent`` names the attribute
that points at the identity a credential belongs to, which it inherits from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["identity", "credential", "secret", "grant"]

AWS_TAGS = ("tags_all", "tags")
GCP_LABELS = ("effective_labels", "terraform_labels", "labels", "annotations")
K8S_META = ("metadata.labels", "metadata.annotations")


@dataclass(frozen=True)
class NhiType:
    kind: Kind
    meta: tuple[str, ...] = ()
    text_meta: tuple[str, ...] = ()
    tag_list: tuple[str, ...] = ()
    owners: str | None = None
    parent: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    expiry: tuple[str, ...] = ()

    @property
    def governed(self) -> bool:
        """Ownership and approval apply to it: not to grants, nor to types that cannot carry metadata."""
        return self.kind != "grant" and bool(self.meta or self.text_meta or self.tag_list or self.owners or self.parent)


_GRANT = NhiType("grant")

CATALOGUE: dict[str, NhiType] = {
    # AWS
    "aws_iam_role": NhiType("identity", AWS_TAGS),
    "aws_iam_user": NhiType("identity", AWS_TAGS),
    "aws_iam_access_key": NhiType("credential", parent=(("user",), ("aws_iam_user",))),
    "aws_iam_service_specific_credential": NhiType("credential", parent=(("user_name",), ("aws_iam_user",))),
    # a console password and a signing certificate are an IAM user's credentials too
    "aws_iam_user_login_profile": NhiType("credential", parent=(("user",), ("aws_iam_user",))),
    "aws_iam_signing_certificate": NhiType("credential", parent=(("user_name",), ("aws_iam_user",))),
    "aws_secretsmanager_secret": NhiType("secret", AWS_TAGS),
    "aws_iam_policy": _GRANT,
    "aws_iam_role_policy": _GRANT,
    "aws_iam_user_policy": _GRANT,
    "aws_iam_group_policy": _GRANT,
    "aws_iam_role_policy_attachment": _GRANT,
    "aws_iam_user_policy_attachment": _GRANT,
    "aws_iam_group_policy_attachment": _GRANT,
    "aws_iam_policy_attachment": _GRANT,
    "aws_iam_role_policy_attachments_exclusive": _GRANT,
    "aws_iam_user_policy_attachments_exclusive": _GRANT,
    "aws_iam_group_policy_attachments_exclusive": _GRANT,
    # GCP: service accounts carry no labels, so key=value pairs in description count.
    "google_service_account": NhiType("identity", text_meta=("description",)),
    "google_service_account_key": NhiType("credential", parent=(("service_account_id",), ("google_service_account",))),
    # Cloud Storage HMAC keys (S3-compatible access) belong to a service account
    "google_storage_hmac_key": NhiType(
        "credential", parent=(("service_account_email",), ("google_service_account",))
    ),
    "google_secret_manager_secret": NhiType("secret", GCP_LABELS, expiry=("expire_time",)),
    **{
        f"google_{scope}_iam_{kind}": _GRANT
        for scope in ("project", "folder", "organization", "service_account")
        for kind in ("member", "binding", "policy")
    },
    # Azure / Entra ID: applications have no tag map; owners and notes count.
    "azuread_application": NhiType("identity", text_meta=("notes", "description"), tag_list=("tags",), owners="owners"),
    "azuread_service_principal": NhiType(
        "identity",
        text_meta=("notes", "description"),
        tag_list=("tags",),
        owners="owners",
        parent=(("client_id", "application_id"), ("azuread_application",)),
    ),
    "azuread_application_password": NhiType(
        "credential",
        parent=(("application_id", "application_object_id"), ("azuread_application",)),
        expiry=("end_date",),
    ),
    "azuread_service_principal_password": NhiType(
        "credential", parent=(("service_principal_id",), ("azuread_service_principal",)), expiry=("end_date",)
    ),
    "azuread_application_certificate": NhiType(
        "credential",
        parent=(("application_id", "application_object_id"), ("azuread_application",)),
        expiry=("end_date",),
    ),
    "azuread_service_principal_certificate": NhiType(
        "credential", parent=(("service_principal_id",), ("azuread_service_principal",)), expiry=("end_date",)
    ),
    "azurerm_user_assigned_identity": NhiType("identity", ("tags",)),
    "azurerm_key_vault_secret": NhiType("secret", ("tags",), expiry=("expiration_date",)),
    "azurerm_role_assignment": _GRANT,
    # Kubernetes
    "kubernetes_service_account": NhiType("identity", K8S_META),
    "kubernetes_service_account_v1": NhiType("identity", K8S_META),
    "kubernetes_secret": NhiType("secret", K8S_META),
    "kubernetes_secret_v1": NhiType("secret", K8S_META),
    "kubernetes_cluster_role_binding": _GRANT,
    "kubernetes_cluster_role_binding_v1": _GRANT,
    # Vault: tokens carry a metadata map.
    "vault_token": NhiType("credential", ("metadata",)),
    # AppRole roles have no metadata field at all: inventory only, no governance findings.
    "vault_approle_auth_backend_role": NhiType("identity"),
}


def nhi_type(resource_type: str) -> NhiType | None:
    return CATALOGUE.get(resource_type)
