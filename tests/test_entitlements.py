"""scanner.entitlements: each identity's grants, readable and digested, in the JSON inventory."""

from __future__ import annotations

import json

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, Source, scan
from scanner.entitlements import Entitlements, diff, digest_of
from scanner.entitlements.grants import values_text
from scanner.model.report import InventoryItem
from scanner.policy.config import Config

TRUST = """
resource "aws_iam_role" "etl" {
  name               = "etl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "glue.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
"""


def inventory(text: str, name: str = "main.tf") -> dict[str, InventoryItem]:
    report = scan([Source(name, text)], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    return {item.resource: item for item in report.inventory}


def grants(text: str, address: str = "aws_iam_role.etl") -> list[str]:
    item = inventory(text)[address]
    assert item.grants is not None
    return item.grants


# --- canonical form --------------------------------------------------------------------------

READ_JSONENCODE = TRUST + """
resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:ListBucket"],
                   Resource = ["arn:aws:s3:::raw-bucket/*", "arn:aws:s3:::raw-bucket"] }]
  })
}
"""
# the same grants: a heredoc, other order, other case, one statement per action, other spacing
READ_HEREDOC = TRUST + """
resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "S3:listbucket", "Resource": ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"]},
  {"Effect": "Allow",   "Action": ["s3:getobject"],
   "Resource": ["arn:aws:s3:::raw-bucket/*", "arn:aws:s3:::raw-bucket"]}
]}
EOF
}
"""
READ_DOCUMENT = TRUST + """
data "aws_iam_policy_document" "read" {
  statement {
    actions   = ["s3:ListBucket", "s3:GetObject"]
    resources = ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"]
  }
}
resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.read.json
}
"""


def test_digest_is_stable_under_reordering_and_formatting() -> None:
    expected = [
        "s3:GetObject on arn:aws:s3:::raw-bucket",
        "s3:GetObject on arn:aws:s3:::raw-bucket/*",
        "s3:ListBucket on arn:aws:s3:::raw-bucket",
        "s3:ListBucket on arn:aws:s3:::raw-bucket/*",
        "trust sts:AssumeRole by Service glue.amazonaws.com",
    ]
    items = [inventory(text)["aws_iam_role.etl"] for text in (READ_JSONENCODE, READ_HEREDOC, READ_DOCUMENT)]
    assert [i.grants for i in items] == [expected] * 3
    assert len({i.grants_digest for i in items}) == 1
    assert items[0].grants_digest == digest_of(expected)
    assert items[0].grants_unknown == 0


def test_digest_changes_with_any_grant_and_diff_names_it() -> None:
    before = inventory(READ_JSONENCODE)["aws_iam_role.etl"]
    after = inventory(READ_JSONENCODE.replace('"s3:ListBucket"]', '"s3:ListBucket", "s3:PutObject"]'))[
        "aws_iam_role.etl"
    ]
    assert before.grants_digest != after.grants_digest
    assert before.grants is not None and after.grants is not None
    assert diff(before.grants, after.grants) == (
        ["s3:PutObject on arn:aws:s3:::raw-bucket", "s3:PutObject on arn:aws:s3:::raw-bucket/*"],
        [],
    )
    # a condition is part of the grant
    conditioned = inventory(READ_JSONENCODE.replace(
        'Resource = ["arn:aws:s3:::raw-bucket/*", "arn:aws:s3:::raw-bucket"] }]',
        'Resource = ["arn:aws:s3:::raw-bucket/*", "arn:aws:s3:::raw-bucket"],'
        ' Condition = { StringEquals = { "aws:SourceVpc" = "vpc-1" } } }]',
    ))["aws_iam_role.etl"]  # fmt: skip
    assert "s3:GetObject on arn:aws:s3:::raw-bucket/* if StringEquals aws:SourceVpc = vpc-1" in (
        conditioned.grants or []
    )
    assert conditioned.grants_digest != before.grants_digest


def test_values_that_hold_the_lists_punctuation_are_quoted() -> None:
    # once one line: `in [a, b, c]` for both, so two different conditions shared a digest
    assert values_text(["a, b", "c"]) == '["a, b", "c"]' != values_text(["a", "b, c"]) == '["a", "b, c"]'
    assert values_text(["vpc-1", "vpc-2"]) == "[vpc-1, vpc-2]"  # ordinary values: as before (ledgers hold)
    assert values_text(["x"]) == "x"


def test_entitlements_value_object() -> None:
    e = Entitlements.of(["b on x", "a  on\n x", "b on x", ""])
    assert e.grants == ("a on x", "b on x")
    assert e.digest == digest_of(["b on x", "a on x"]) and e.digest.startswith("sha256:") and len(e.digest) == 71
    assert Entitlements.of(["s3:GetObject on ${var.bucket}", "(unknown: x)"]).unknown == 2


# --- AWS -------------------------------------------------------------------------------------------


def test_aws_every_source_of_a_users_permissions() -> None:
    text = """
resource "aws_iam_user" "ci" { name = "ci" }
resource "aws_iam_group" "deploy" { name = "deploy" }
resource "aws_iam_user_group_membership" "ci" {
  user   = aws_iam_user.ci.name
  groups = [aws_iam_group.deploy.name]
}
resource "aws_iam_group_policy" "deploy" {
  group  = aws_iam_group.deploy.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "ecs:UpdateService", Resource = "*" }] })
}
resource "aws_iam_policy" "logs" {
  policy = jsonencode({ Statement = [{ Effect = "Deny", NotAction = ["logs:Get*"], NotResource = "arn:aws:logs:*" }] })
}
resource "aws_iam_user_policy_attachment" "logs" {
  user       = aws_iam_user.ci.name
  policy_arn = aws_iam_policy.logs.arn
}
resource "aws_iam_user_policy_attachment" "read" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
resource "aws_iam_user_policy_attachment" "admin" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
resource "aws_iam_user_policy_attachment" "custom" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:aws:iam::111122223333:policy/legacy"
}
resource "aws_iam_user_policy_attachment" "later" {
  user       = aws_iam_user.ci.name
  policy_arn = var.extra_policy_arn
}
variable "extra_policy_arn" {}
resource "aws_iam_policy" "boundary" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "ecs:*", Resource = "*" }] })
}
"""
    text = text.replace('resource "aws_iam_user" "ci" { name = "ci" }',
                        'resource "aws_iam_user" "ci" {\n  name = "ci"\n'
                        '  permissions_boundary = aws_iam_policy.boundary.arn\n}')  # fmt: skip
    item = inventory(text)["aws_iam_user.ci"]
    assert item.grants == [
        "boundary ecs:* on *",
        "deny all actions except logs:Get* on all resources except arn:aws:logs:*",
        "ecs:UpdateService on *",
        "policy ${var.extra_policy_arn}",
        "policy arn:aws:iam::111122223333:policy/legacy",
        "policy arn:aws:iam::aws:policy/AdministratorAccess",
        "policy arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    assert item.grants_unknown == 1  # never dropped: shown with its expression


def test_aws_role_managed_policy_arns_inline_blocks_and_unknown_statements() -> None:
    text = """
variable "statements" {}
resource "aws_iam_role" "etl" {
  name                = "etl"
  assume_role_policy  = var.trust
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]
  inline_policy {
    name   = "dynamic"
    policy = jsonencode({ Version = "2012-10-17", Statement = var.statements })
  }
}
variable "trust" {}
"""
    assert grants(text) == [
        "policy arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole",
        "statements ${var.statements}",
        "trust statements ${var.trust}",
    ]


def test_aws_trust_conditions_and_principals() -> None:
    text = """
resource "aws_iam_role" "etl" {
  name = "etl"
  assume_role_policy = jsonencode({ Statement = [{
    Effect    = "Allow"
    Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
    Action    = "sts:AssumeRoleWithWebIdentity"
    Condition = {
      StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
      StringLike   = { "token.actions.githubusercontent.com:sub" = [
        "repo:acme/etl:ref:refs/heads/main", "repo:acme/etl:environment:prod"] }
    }
  }] })
}
"""
    assert grants(text) == [
        "trust sts:AssumeRoleWithWebIdentity by Federated "
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com if StringEquals "
        "token.actions.githubusercontent.com:aud = sts.amazonaws.com and StringLike "
        "token.actions.githubusercontent.com:sub in [repo:acme/etl:environment:prod, repo:acme/etl:ref:refs/heads/main]"
    ]


# --- GCP, Azure, Kubernetes, Vault ----------------------------------------------------------------


def test_gcp_bindings_naming_the_service_account_with_scope_and_condition() -> None:
    text = """
resource "google_service_account" "etl" {
  account_id = "etl"
  project    = "acme-data"
}
resource "google_project_iam_member" "storage" {
  project = "acme-data"
  role    = "roles/storage.admin"
  member  = "serviceAccount:${google_service_account.etl.email}"
  condition {
    title      = "raw only"
    expression = "resource.name.startsWith(\\"projects/_/buckets/raw\\")"
  }
}
resource "google_storage_bucket_iam_member" "literal" {
  bucket = "acme-exports"
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:etl@acme-data.iam.gserviceaccount.com"
}
resource "google_project_iam_member" "other" {
  project = "acme-data"
  role    = "roles/owner"
  member  = "serviceAccount:someone-else@acme-data.iam.gserviceaccount.com"
}
resource "google_service_account_iam_member" "wif" {
  service_account_id = google_service_account.etl.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/attribute.repository/acme/etl"
}
resource "google_project_iam_custom_role" "reader" {
  project     = "acme-data"
  role_id     = "reader"
  title       = "reader"
  permissions = ["storage.objects.list", "storage.objects.get"]
}
resource "google_project_iam_member" "custom" {
  project = "acme-data"
  role    = google_project_iam_custom_role.reader.id
  member  = google_service_account.etl.member
}
"""
    assert grants(text, "google_service_account.etl") == [
        "${google_project_iam_custom_role.reader.id} permitting [storage.objects.get, storage.objects.list] "
        "on project acme-data",
        'roles/storage.admin on project acme-data if resource.name.startsWith("projects/_/buckets/raw")',
        "roles/storage.objectViewer on storage bucket acme-exports",
        "trust roles/iam.workloadIdentityUser to principalSet://iam.googleapis.com/projects/1/locations/global/"
        "workloadIdentityPools/gh/attribute.repository/acme/etl",
    ]


def test_azure_role_assignments_and_graph_app_roles() -> None:
    text = """
resource "azurerm_user_assigned_identity" "deployer" {
  name                = "deployer"
  resource_group_name = "rg"
  location            = "westeurope"
}
resource "azurerm_role_assignment" "rg" {
  scope                = "/subscriptions/0000/resourceGroups/app"
  role_definition_name = "Website Contributor"
  principal_id         = azurerm_user_assigned_identity.deployer.principal_id
}
resource "azuread_application" "sync" { display_name = "sync" }
resource "azuread_service_principal" "sync" { client_id = azuread_application.sync.client_id }
resource "azuread_app_role_assignment" "users" {
  app_role_id         = "df021288-bdef-4463-88db-98f22de89214"
  principal_object_id = azuread_service_principal.sync.object_id
  resource_object_id  = "msgraph-sp-object-id"
}
"""
    items = inventory(text)
    assert items["azurerm_user_assigned_identity.deployer"].grants == [
        "Website Contributor on /subscriptions/0000/resourceGroups/app"
    ]
    expected = ["app role df021288-bdef-4463-88db-98f22de89214 of msgraph-sp-object-id"]
    assert items["azuread_service_principal.sync"].grants == expected
    assert items["azuread_application.sync"].grants == expected  # what its service principal holds


def test_kubernetes_roles_bound_to_the_service_account() -> None:
    text = """
resource "kubernetes_service_account_v1" "ci" {
  metadata {
    name      = "ci"
    namespace = "build"
  }
}
resource "kubernetes_role_v1" "deployer" {
  metadata {
    name      = "deployer"
    namespace = "build"
  }
  rule {
    api_groups     = ["apps"]
    resources      = ["deployments"]
    verbs          = ["get", "patch"]
  }
  rule {
    api_groups     = [""]
    resources      = ["secrets"]
    resource_names = ["registry"]
    verbs          = ["get"]
  }
}
resource "kubernetes_role_binding_v1" "ci" {
  metadata {
    name      = "ci"
    namespace = "build"
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.deployer.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.ci.metadata[0].name
    namespace = "build"
  }
}
resource "kubernetes_cluster_role_binding_v1" "view" {
  metadata { name = "ci-view" }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "view"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "ci"
    namespace = "build"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "ci"
    namespace = "other"
  }
}
resource "kubernetes_cluster_role_binding_v1" "as_user" {
  metadata { name = "ci-as-user" }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }
  subject {
    kind = "User"
    name = "system:serviceaccount:build:ci"
  }
}
resource "kubernetes_cluster_role_binding_v1" "all_in_other" {
  metadata { name = "other-all" }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "admin"
  }
  subject {
    kind = "Group"
    name = "system:serviceaccounts:other"
  }
}
"""
    assert grants(text, "kubernetes_service_account_v1.ci") == [
        "ClusterRole edit cluster-wide",  # as the user Kubernetes names it; not the other namespace's group
        "ClusterRole view cluster-wide",
        "Role deployer in namespace build",  # a literal attribute of a resource in the module is resolved
        "get apps/deployments in namespace build",
        "get secrets/registry in namespace build",
        "patch apps/deployments in namespace build",
    ]


def test_vault_policies_of_a_role_with_their_paths() -> None:
    text = """
resource "vault_policy" "ci" {
  name   = "ci"
  policy = <<EOT
path "secret/data/ci/*" {
  capabilities = ["read", "list"]
}
path "auth/token/renew-self" { capabilities = ["update"] }
EOT
}
resource "vault_approle_auth_backend_role" "ci" {
  role_name               = "ci"
  token_policies          = ["ci"]
  token_no_default_policy = true
  token_bound_cidrs       = ["10.0.0.0/8"]
}
resource "vault_token" "ops" { policies = ["ops"] }
"""
    items = inventory(text)
    assert items["vault_approle_auth_backend_role.ci"].grants == [
        "list on secret/data/ci/*",
        "read on secret/data/ci/*",
        "trust token from 10.0.0.0/8",
        "update on auth/token/renew-self",
        "vault policy ci",
    ]
    assert items["vault_token.ops"].grants == ["vault policy default", "vault policy ops"]


def test_types_without_grants_of_their_own_are_null_and_json_carries_the_fields() -> None:
    text = TRUST + 'resource "aws_secretsmanager_secret" "db" { name = "db" }\n'
    report = scan([Source("main.tf", text)], ScanOptions(config=Config(), today=TODAY)).report
    data = json.loads(report.model_dump_json())
    by = {i["resource"]: i for i in data["inventory"]}
    assert by["aws_secretsmanager_secret.db"]["grants"] is None
    assert by["aws_secretsmanager_secret.db"]["grants_digest"] is None
    assert by["aws_iam_role.etl"]["grants_digest"].startswith("sha256:")


@pytest.mark.parametrize("secret", ["hunter2-very-secret-value"])
def test_a_secret_in_a_grant_is_masked_before_the_digest(secret: str) -> None:
    from scanner.entitlements import entitlements_of
    from scanner.model.resource import Model, Resource
    from scanner.policy.context import Context
    from scanner.policy.metadata import MetadataResolver

    role = Resource(address="vault_token.t", mode="managed", type="vault_token", name="t",
                    attrs={"policies": [secret], "no_default_policy": True}, file="main.tf", line=1)  # fmt: skip
    model = Model([role])
    plain = Context(model, Config(), MetadataResolver(model, Config()), TODAY)
    masked = Context(model, Config(), MetadataResolver(model, Config()), TODAY, secrets=frozenset({secret}))
    shown = entitlements_of(role, masked)
    assert shown is not None and shown.grants == ("vault policy ***REDACTED***",)
    assert shown.digest == digest_of(["vault policy ***REDACTED***"])
    assert shown.digest != (entitlements_of(role, plain) or shown).digest
