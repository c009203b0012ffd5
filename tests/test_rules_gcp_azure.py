"""GCP and Azure rules: severities, scope and role matching, and the google_iam_policy rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.loaders.hcl import Chunk, load_chunks
from scanner.model.resource import Resource
from scanner.model.values import PartialJson
from scanner.policy.config import Config
from scanner.rules import get_rule


def findings(tmp_path: Path, text: str, rule_id: str) -> list[tuple[str, str, str]]:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    return [(f.resource, str(f.severity), f.message) for f in report.findings if f.rule_id == rule_id]


def load(text: str) -> dict[str, Resource]:
    doc = load_chunks([Chunk("main.tf", text)], {"main.tf": text.splitlines()})
    assert doc.errors == []
    return {r.address: r for r in doc.resources}


# --- HCL loader: data "google_iam_policy" ------------------------------------------------


def test_google_iam_policy_renders_policy_data() -> None:
    res = load("""
data "google_iam_policy" "p" {
  binding {
    role    = "roles/viewer"
    members = ["group:a@acme.example"]
    condition {
      title      = "expires"
      expression = "request.time < timestamp(\\"2027-01-01T00:00:00Z\\")"
    }
  }
}
resource "google_project_iam_policy" "p" {
  project     = "acme"
  policy_data = data.google_iam_policy.p.policy_data
}
""")
    rendered = json.loads(res["google_project_iam_policy.p"].attrs["policy_data"])
    assert rendered["bindings"][0]["role"] == "roles/viewer"
    assert rendered["bindings"][0]["members"] == ["group:a@acme.example"]
    assert rendered["bindings"][0]["condition"]["title"] == "expires"
    policy = res["google_project_iam_policy.p"]
    assert res["data.google_iam_policy.p"].attrs["policy_data"] == policy.attrs["policy_data"]
    assert "data.google_iam_policy.p" in policy.references("policy_data")


def test_google_iam_policy_with_computed_member_is_partial() -> None:
    res = load("""
resource "google_service_account" "sa" { account_id = "sa" }
data "google_iam_policy" "p" {
  binding {
    role    = "roles/owner"
    members = ["serviceAccount:${google_service_account.sa.email}"]
  }
}
resource "google_project_iam_policy" "p" {
  project     = "acme"
  policy_data = data.google_iam_policy.p.policy_data
}
""")
    value = res["google_project_iam_policy.p"].attrs["policy_data"]
    assert isinstance(value, PartialJson)
    assert value.value["bindings"][0]["role"] == "roles/owner"


# --- GCP ------------------------------------------------------------------------------------


def test_gcp_001_uploaded_key_is_medium(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_service_account_key" "generated" {
  service_account_id = "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com"
}
resource "google_service_account_key" "uploaded" {
  service_account_id = "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com"
  public_key_data    = filebase64("cert.pem")
}
""",
        "NHI_GCP_001",
    )
    assert [(r, s) for r, s, _ in got] == [
        ("google_service_account_key.generated", "high"),
        ("google_service_account_key.uploaded", "medium"),
    ]
    assert "a@p.iam.gserviceaccount.com" in got[0][2]


def test_gcp_002_severity_per_role_and_named_members(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_project_iam_member" "o" {
  project = "acme"
  role    = "roles/owner"
  member  = "user:ops@acme.example"
}
resource "google_organization_iam_member" "e" {
  org_id = "1234"
  role   = "roles/editor"
  member = "serviceAccount:ci@acme.iam.gserviceaccount.com"
}
resource "google_project_iam_binding" "empty" {
  project = "acme"
  role    = "roles/owner"
  members = []
}
resource "google_service_account_iam_member" "sa_level" {
  service_account_id = "projects/acme/serviceAccounts/x@acme.iam.gserviceaccount.com"
  role               = "roles/owner"
  member             = "user:ops@acme.example"
}
""",
        "NHI_GCP_002",
    )
    assert [(r, s) for r, s, _ in got] == [
        ("google_project_iam_member.o", "critical"),
        ("google_organization_iam_member.e", "high"),
    ]
    assert "`user:ops@acme.example`" in got[0][2] and "project `acme`" in got[0][2]
    assert "organization `1234`" in got[1][2]


def test_gcp_002_literal_policy_json(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_project_iam_policy" "p" {
  project     = "acme"
  policy_data = <<-EOT
    {"bindings": [{"role": "roles/editor", "members": ["group:dev@acme.example"]}]}
  EOT
}
""",
        "NHI_GCP_002",
    )
    assert len(got) == 1 and "group:dev@acme.example" in got[0][2]


@pytest.mark.parametrize(
    ("rtype", "applies"),
    [
        ("google_storage_bucket_iam_member", True),
        ("google_cloud_run_v2_service_iam_binding", True),
        ("google_kms_crypto_key_iam_policy", True),
        ("google_project_iam_member_remove", False),
        ("google_project_iam_custom_role", False),
        ("google_project_iam_audit_config", False),
        ("google_iam_policy", False),
        ("aws_iam_policy", False),
    ],
)
def test_gcp_003_applies_to_iam_grant_types(rtype: str, applies: bool) -> None:
    rule = get_rule("NHI_GCP_003")
    assert rule is not None
    res = Resource(address=f"{rtype}.x", mode="managed", type=rtype, name="x", attrs={}, file="main.tf", line=1)
    assert rule.applies_to(res) is applies
    data = Resource(address=f"data.{rtype}.x", mode="data", type=rtype, name="x", attrs={}, file="main.tf", line=1)
    assert rule.applies_to(data) is False


def test_gcp_004_empty_rotation_list_is_missing(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_secret_manager_secret" "s" {
  secret_id = "s"
  ttl       = var.ttl
  replication {
    auto {}
  }
}
variable "ttl" { type = string }
""",
        "NHI_GCP_004",
    )
    assert got == []  # an unknown ttl is set


# --- Azure ----------------------------------------------------------------------------------

ASSIGNMENT = """
resource "azurerm_role_assignment" "a" {{
  scope                = {scope}
  {role}
  principal_id         = "11111111-2222-3333-4444-555555555555"
  {extra}
}}
"""


@pytest.mark.parametrize(
    ("scope", "role", "extra", "expected"),
    [
        ('"/subscriptions/abc"', 'role_definition_name = "Owner"', "", "critical"),
        ('"/subscriptions/abc/"', 'role_definition_name = "CONTRIBUTOR"', "", "high"),
        ('"/"', 'role_definition_name = "User Access Administrator"', "", "critical"),
        (
            '"/providers/Microsoft.Management/managementGroups/root-mg"',
            'role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/'
            'F58310D9-A8FF-443C-A75C-2FE8C4BCB635"',
            "",
            None,  # not the RBAC Administrator GUID: a mix of two GUIDs
        ),
        (
            '"/providers/Microsoft.Management/managementGroups/root-mg"',
            'role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/'
            'F58310D9-D35E-4FB5-A5C3-7773C20A72D9"',
            "",
            None,
        ),
        (
            '"/providers/Microsoft.Management/managementGroups/root-mg"',
            'role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/'
            'f58310d9-a9f6-439a-9e8d-f62e7b41a168"',
            "",
            "critical",
        ),
        (
            '"/subscriptions/abc"',
            'role_definition_name = "User Access Administrator"',
            'condition = "x"\n  condition_version = "2.0"',
            "high",
        ),
        ('"/subscriptions/abc"', 'role_definition_name = "Owner"', 'condition = "x"', "critical"),
        ('"/subscriptions/abc/resourceGroups/rg"', 'role_definition_name = "Owner"', "", None),
        (
            '"/subscriptions/abc/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"',
            'role_definition_name = "Owner"',
            "",
            None,
        ),
        ('"/subscriptions/abc"', 'role_definition_name = "Reader"', "", None),
        ("var.scope", 'role_definition_name = "Owner"', "", None),
        ("azurerm_management_group.mg.id", 'role_definition_name = "Owner"', "", "critical"),
        (
            '"${data.azurerm_subscription.cur.id}/resourceGroups/${azurerm_resource_group.rg.name}"',
            'role_definition_name = "Owner"',
            "",
            None,
        ),
        ('"/subscriptions/abc"', "role_definition_name = var.role", "", None),
    ],
)
def test_az_003_scope_and_role(tmp_path: Path, scope: str, role: str, extra: str, expected: str | None) -> None:
    text = (
        ASSIGNMENT.format(scope=scope, role=role, extra=extra)
        + """
data "azurerm_subscription" "cur" {}
variable "scope" { type = string }
variable "role" { type = string }
resource "azurerm_management_group" "mg" { display_name = "mg" }
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "westeurope"
}
"""
    )
    got = findings(tmp_path, text, "NHI_AZ_003")
    assert [s for _, s, _ in got] == ([expected] if expected else [])
    if expected:
        assert "11111111-2222-3333-4444-555555555555" in got[0][2]


def test_az_003_role_from_data_source(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
data "azurerm_subscription" "cur" {}
data "azurerm_role_definition" "contributor" { name = "Contributor" }
resource "azurerm_role_assignment" "a" {
  scope              = data.azurerm_subscription.cur.id
  role_definition_id = data.azurerm_role_definition.contributor.id
  principal_id       = var.principal
}
variable "principal" { type = string }
""",
        "NHI_AZ_003",
    )
    assert [s for _, s, _ in got] == ["high"]
    assert "Contributor" in got[0][2] and "data.azurerm_subscription.cur.id" in got[0][2]


@pytest.mark.parametrize(
    ("expression", "reported"),
    [
        ("claims_matching_expression = \"claims['sub'] matches 'repo:acme/*'\"", "high"),
        ("claims_matching_expression = \"claims['sub'] matches 'repo:acme/app*'\"", "high"),
        ("claims_matching_expression = \"claims['sub'] matches 'repo:acme/app:ref:refs/heads/*'\"", None),
        ("claims_matching_expression = \"claims['sub'] matches 'repo:acme/app:*'\"", "medium"),
        ("claims_matching_expression = \"claims['sub'] matches 'repo:acme/app:pull_*'\"", "medium"),
        ("claims_matching_expression = \"claims['sub'] eq 'repo:acme/app:pull_request'\"", "medium"),
        ("claims_matching_expression = \"claims['sub'] eq 'repo:acme/*'\"", None),
        # ANDed: the narrowest clause decides each dimension
        (
            "claims_matching_expression = \"claims['sub'] matches 'repo:acme/app:*' and "
            "claims['sub'] matches 'repo:acme/app:environment:*'\"",
            None,
        ),
        (
            "claims_matching_expression = \"claims['sub'] matches 'repo:*' and "
            "claims['job_workflow_ref'] matches 'acme/ci/.github/workflows/deploy.yml@*'\"",
            "medium",
        ),
        (
            "claims_matching_expression = \"claims['sub'] matches 'repo:*' and "
            "claims['job_workflow_ref'] matches 'acme/*'\"",
            "high",
        ),
        # not the documented language: nothing can be said
        ("claims_matching_expression = \"claims['sub'] matches 'repo:*' or true\"", None),
        # Graph's {value, languageVersion} shape, as a block
        ("claims_matching_expression {\n    value = \"claims['sub'] matches 'repo:*'\"\n  }", "high"),
    ],
)
def test_az_012_flexible_credential_expression(tmp_path: Path, expression: str, reported: str | None) -> None:
    got = findings(
        tmp_path,
        f"""
resource "azuread_application_flexible_federated_identity_credential" "f" {{
  application_id = "/applications/00000000-0000-0000-0000-000000000000"
  display_name   = "gh"
  audience       = "api://AzureADTokenExchange"
  issuer         = "https://token.actions.githubusercontent.com"
  {expression}
}}
""",
        "NHI_AZ_012",
    )
    assert [s for _, s, _ in got] == ([reported] if reported else [])


@pytest.mark.parametrize(
    ("subject", "reported"),
    [
        ("repo:acme/app:pull_request", "medium"),
        ("repo:acme/app:environment:production", None),
        # matched exactly: `*` is a character, and no token carries it
        ("repo:acme/*", None),
        ("repo:acme/app:*", None),
        ("repo:*", None),
    ],
)
def test_az_012_standard_subject_is_exact(tmp_path: Path, subject: str, reported: str | None) -> None:
    got = findings(
        tmp_path,
        f"""
resource "azurerm_federated_identity_credential" "f" {{
  name      = "gh"
  parent_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
  audience  = ["api://AzureADTokenExchange"]
  issuer    = "https://token.actions.githubusercontent.com"
  subject   = "{subject}"
}}
""",
        "NHI_AZ_012",
    )
    assert [s for _, s, _ in got] == ([reported] if reported else [])


def test_az_001_unknown_end_date_is_set(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "azuread_application_password" "a" {
  application_id = "/applications/00000000-0000-0000-0000-000000000000"
  end_date       = var.end
}
resource "azuread_application_password" "b" {
  application_id = "/applications/00000000-0000-0000-0000-000000000000"
}
variable "end" { type = string }
""",
        "NHI_AZ_001",
    )
    assert [r for r, _, _ in got] == ["azuread_application_password.b"]


# --- NHI_GCP_002 on single resources, and service accounts resolved to the identity -----------


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        # resource-level, service account members: owner high, editor medium, editor on an account high
        ('resource "google_storage_bucket_iam_member" "g" {\n  bucket = "b"\n  role = "roles/owner"\n'
         '  member = "serviceAccount:${google_service_account.ci.email}"\n}', "high"),
        ('resource "google_secret_manager_secret_iam_member" "g" {\n  secret_id = "s"\n  role = "roles/editor"\n'
         "  member = google_service_account.ci.member\n}", "medium"),
        ('resource "google_service_account_iam_member" "g" {\n  service_account_id = "projects/p/serviceAccounts/x"\n'
         '  role = "roles/editor"\n  member = "serviceAccount:x@p.iam.gserviceaccount.com"\n}', "high"),
        ('resource "google_pubsub_topic_iam_binding" "g" {\n  topic = "t"\n  role = "roles/editor"\n'
         '  members = ["principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/x"]'
         "\n}", "medium"),
        # people, unknown members and other roles are not reported below the project
        ('resource "google_storage_bucket_iam_member" "g" {\n  bucket = "b"\n  role = "roles/owner"\n'
         '  member = "user:ops@acme.example"\n}', None),
        ('resource "google_storage_bucket_iam_member" "g" {\n  bucket = "b"\n  role = "roles/owner"\n'
         "  member = var.member\n}", None),
        ('resource "google_storage_bucket_iam_member" "g" {\n  bucket = "b"\n  role = "roles/storage.admin"\n'
         '  member = "serviceAccount:${google_service_account.ci.email}"\n}', None),
        ('resource "google_storage_bucket_iam_member" "g" {\n  bucket = "b"\n  role = "roles/viewer"\n'
         '  member = "serviceAccount:${google_service_account.ci.email}"\n}', None),
        # a project grant is reported whoever the member is
        ('resource "google_project_iam_member" "g" {\n  project = "p"\n  role = "roles/editor"\n'
         "  member = var.member\n}", "high"),
    ],
)
def test_gcp_002_resource_level_grants_to_service_accounts(tmp_path: Path, grant: str, expected: str | None) -> None:
    text = grant + """
resource "google_service_account" "ci" {
  account_id = "ci"
  project    = "acme"
}
variable "member" { type = string }
"""
    got = findings(tmp_path, text, "NHI_GCP_002")
    assert [s for _, s, _ in got] == ([expected] if expected else [])


def test_gcp_002_names_the_resolved_service_account(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_service_account" "ci" {
  account_id = "ci-deployer"
  project    = "acme-prod"
}
resource "google_project_iam_member" "ci" {
  project = "acme-prod"
  role    = "roles/owner"
  member  = "serviceAccount:${google_service_account.ci.email}"
}
resource "google_storage_bucket_iam_binding" "b" {
  bucket  = "acme-exports"
  role    = "roles/owner"
  members = ["group:data@acme.example", google_service_account.ci.member]
}
""",
        "NHI_GCP_002",
    )
    project, bucket = (m for _, _, m in got)
    assert "service account `google_service_account.ci` (ci-deployer@acme-prod.iam.gserviceaccount.com)" in project
    assert "google_service_account.ci" in bucket and "group:data@acme.example" not in bucket


def test_gcp_002_service_account_in_a_module_plan(tmp_path: Path) -> None:
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("plan_fixture", ROOT / "scripts" / "plan_fixture.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    plan = builder.build({"resources": [
        {"address": "google_service_account.etl", "values": {"account_id": "etl", "project": "acme"},
         "unknown": ["email", "member"]},
        {"address": "google_secret_manager_secret_iam_member.etl", "unknown": ["member"],
         "values": {"secret_id": "db", "role": "roles/owner", "member": None},
         "refs": {"member": ["google_service_account.etl.email", "google_service_account.etl"]}},
    ]})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    report = scan([str(path)], ScanOptions(config=Config(), today=TODAY)).report
    (finding,) = [f for f in report.findings if f.rule_id == "NHI_GCP_002"]
    assert str(finding.severity) == "high"
    assert "service account `google_service_account.etl` (etl@acme.iam.gserviceaccount.com)" in finding.message


def test_gcp_010_names_the_resolved_service_account(tmp_path: Path) -> None:
    got = findings(
        tmp_path,
        """
resource "google_service_account" "ci" { account_id = "ci" }
resource "google_project_iam_member" "ci" {
  project = "acme"
  role    = "roles/iam.serviceAccountUser"
  member  = "serviceAccount:${google_service_account.ci.email}"
}
""",
        "NHI_GCP_010",
    )
    assert "service account `google_service_account.ci` (account `ci`)" in got[0][2]


# --- NHI_AZ_050 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "added", "dropped"),
    [
        ((["Microsoft.Web/sites/read"], []), (["Microsoft.Web/sites/read", "Microsoft.Web/sites/write"], []),
         ["Microsoft.Web/sites/write"], []),
        ((["Microsoft.Web/*"], []), (["microsoft.web/sites/WRITE"], []), [], []),
        ((["*"], ["Microsoft.Authorization/*/Write"]), (["*"], []), [], ["Microsoft.Authorization/*/Write"]),
        ((["*"], ["Microsoft.Authorization/*/Write"]), (["*", "Microsoft.Authorization/roleAssignments/write"],
                                                        ["Microsoft.Authorization/*/Write"]), [], []),
        ((["*"], ["Microsoft.Authorization/*/Write"]), (["Microsoft.Authorization/roleAssignments/write"], []),
         ["Microsoft.Authorization/roleAssignments/write"], []),
        ((["Microsoft.Storage/*"], ["Microsoft.Storage/*/delete"]), (["*"], []), ["*"], []),
        ((["Microsoft.Storage/*"], []), (["Microsoft.Storage/storageAccounts/read"], []), [], []),
    ],
)
def test_az_050_widened(old: tuple[list[str], list[str]], new: tuple[list[str], list[str]], added: list[str],
                        dropped: list[str]) -> None:
    from scanner.rules.azure.nhi_az_050_plan_widens_role_definition import Block, widened

    assert widened([Block(tuple(old[0]), tuple(old[1]))], [Block(tuple(new[0]), tuple(new[1]))]) == (added, dropped)


def test_az_050_plan_scopes_and_unknowns(tmp_path: Path) -> None:
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("plan_fixture", ROOT / "scripts" / "plan_fixture.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    sub = "/subscriptions/abc"

    def role(actions: list[str], scopes: list[str]) -> dict[str, object]:
        return {"name": "r", "scope": sub, "permissions": [{"actions": actions, "not_actions": [],
                                                            "data_actions": [], "not_data_actions": []}],
                "assignable_scopes": scopes}

    plan = builder.build({"resources": [
        {"address": "azurerm_role_definition.wider_scope", "action": "update",
         "before": role(["Microsoft.Web/sites/read"], [sub + "/resourceGroups/app"]),
         "values": role(["Microsoft.Web/sites/read"], [sub])},
        {"address": "azurerm_role_definition.narrower_scope", "action": "update",
         "before": role(["Microsoft.Web/sites/read"], [sub]),
         "values": role(["Microsoft.Web/sites/read"], [sub + "/resourceGroups/app/"])},
        {"address": "azurerm_role_definition.unknown", "action": "update", "unknown": ["permissions"],
         "before": role(["Microsoft.Web/sites/read"], [sub]), "values": role([], [sub]),
         "refs": {"permissions": ["var.actions"]}},
        {"address": "azurerm_role_definition.created", "values": role(["*"], [sub])},
    ]})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    report = scan([str(path)], ScanOptions(config=Config(), today=TODAY)).report
    got = [(f.resource, str(f.severity), f.message) for f in report.findings if f.rule_id == "NHI_AZ_050"]
    assert [(a, s) for a, s, _ in got] == [("azurerm_role_definition.wider_scope", "medium")]
    assert f"adds assignable scopes `{sub}`" in got[0][2]


_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.owner": "assertion.repository_owner",
    "attribute.combined": "assertion.repository + '@' + assertion.ref",
}


@pytest.mark.parametrize(
    ("condition", "scope"),
    [
        ("assertion.repository_owner_id == '1234567'", "pinned"),
        ("assertion.repository_owner_id == 1234567", "pinned"),
        ("assertion.repository_owner == 'acme' || true", "open"),
        ("true", "open"),
        ("false", "pinned"),  # admits nothing
        ("assertion.aud == 'https://github.com/acme'", "open"),  # a workflow chooses its own audience
        ("assertion.repository.startsWith('acme/')", "pinned"),
        ("assertion.repository.startsWith('acme')", "open"),
        ("assertion.repository_owner.startsWith('acme')", "open"),
        ("assertion.repository.matches('acme/.*')", "open"),  # RE2 search: evilacme/x matches
        ("assertion.repository.matches('^acme/.*')", "pinned"),
        ("assertion.repository_owner.matches('^acme$')", "pinned"),
        ("assertion.repository_owner.matches('^acme')", "open"),
        ("assertion.repository.endsWith('/app')", "open"),
        ("attribute.repository == 'acme/app'", "pinned"),
        ("attribute.owner in ['acme', 'acme-labs']", "pinned"),
        ("attribute.combined == 'acme/app@refs/heads/main'", "unknown"),  # mapped from an expression
        ("attribute.unmapped == 'x'", "unknown"),
        ("google.subject.startsWith('repo:acme/')", "pinned"),
        ("google.subject.startsWith('repository_owner_id:42:')", "pinned"),
        ("google.subject.startsWith('repo:acme')", "open"),
        ("assertion.sub != ''", "open"),
        ("!(assertion.repository_owner != 'acme')", "pinned"),
        ("!(assertion.repository_owner == 'acme')", "open"),
        ("!(assertion.repository_owner != 'a' || assertion.repository_owner != 'b')", "pinned"),
        ("assertion.ref == 'refs/heads/main' && assertion.repository_owner == 'acme'", "pinned"),
        ("(assertion.repository_owner == 'a' || assertion.repository_owner == 'b') && assertion.ref == 'x'", "pinned"),
        ("assertion.repository_owner == 'acme' || assertion.event_name == 'push'", "open"),
        ("has(assertion.repository) && assertion.repository_owner_id == '42'", "pinned"),
        ("assertion['repository_owner'] == 'acme'", "pinned"),
        ("size(assertion.repository) > 0", "unknown"),
        ("assertion.repository_owner == 'acme' ? true : false", "unknown"),
        ("assertion.repository_owner == 'acme", "unknown"),
    ],
)
def test_gcp_attribute_condition_is_cel(condition: str, scope: str) -> None:
    from scanner.rules.gcp.cel import owner_scope

    assert owner_scope(condition, _MAPPING) == scope


@pytest.mark.parametrize(
    ("value", "name", "reported"),
    [
        ('"3f2504e0-4f89-11d3-9a0c-0305e82c3301"', "app-id", False),  # a GUID
        ('"sql-app.database.windows.net"', "sql", False),  # an FQDN
        ('"https://kv-app.vault.azure.net/"', "vault", False),  # an endpoint
        ('"https://app.example.com/hook?sig=Zm9vYmFy"', "callback", True),  # a query may hold a token
        ('"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnlyKey deploy@acme"', "deploy-key", False),
        ('"Sup3r-S3cret!"', "sql-host", True),  # the value decides, not the name
        ("azurerm_user_assigned_identity.app.principal_id", "x", False),
        ("azurerm_mssql_server.db.fully_qualified_domain_name", "x", False),
        ("azurerm_storage_account.sa.primary_access_key", "sa-id", True),
        ("var.value", "app-client-id", False),  # known only at apply: the name says what it is
        ("var.value", "app-client-secret", True),
    ],
)
def test_az_002_identifiers_need_no_expiry(tmp_path: Path, value: str, name: str, reported: bool) -> None:
    got = findings(
        tmp_path,
        f"""
variable "value" {{ type = string }}
resource "azurerm_key_vault_secret" "s" {{
  name         = "{name}"
  value        = {value}
  key_vault_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
}}
""",
        "NHI_AZ_002",
    )
    assert bool(got) is reported
