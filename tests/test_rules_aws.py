"""Decision tables of the AWS rules that fixtures cover only by example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.iam.github_claims import EXACT, claim_value_pinned, owner_pinned
from scanner.model.values import Unknown
from scanner.policy.config import Config
from scanner.rules.aws.nhi_aws_011_wildcard_action import wildcard_problem
from scanner.rules.aws.nhi_aws_012_managed_admin_policy import admin_policy_name
from scanner.rules.aws.nhi_aws_021_cross_account_root import root_account


@pytest.mark.parametrize(
    ("action", "on_all", "reported"),
    [
        ("*", False, True),
        ("s3:*", False, True),
        ("iam:*", True, True),
        ("iam:Put*", False, True),
        ("iam:*Policy", False, True),
        ("s3:GetObject", True, False),
        ("s3:Get*", False, False),
        ("s3:Get*", True, True),
        ("secretsmanager:GetSecret*", True, True),
        ("ec2:Describe*", True, False),
        ("iam:List*", True, False),
        ("cloudwatch:Get*", True, False),
        ("*:Describe*", True, True),
        ("*:Get*", False, False),
        ("s3*", True, False),  # not an IAM action
        (Unknown("var.a"), True, False),
    ],
)
def test_wildcard_actions(action: object, on_all: bool, reported: bool) -> None:
    assert wildcard_problem(action, on_all) is reported


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"),
        ("arn:aws-cn:iam::aws:policy/IAMFullAccess", "IAMFullAccess"),
        ("arn:aws-us-gov:iam::aws:policy/PowerUserAccess", "PowerUserAccess"),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", None),
        ("arn:aws:iam::aws:policy/job-function/SystemAdministrator", None),
        ("arn:aws:iam::123456789012:policy/AdministratorAccess", None),
        (Unknown("x"), None),
    ],
)
def test_admin_policy_names(arn: object, name: str | None) -> None:
    assert admin_policy_name(arn) == name


@pytest.mark.parametrize(
    ("principal", "account"),
    [
        ("arn:aws:iam::123456789012:root", "123456789012"),
        ("123456789012", "123456789012"),
        ("arn:aws-us-gov:iam::123456789012:root", "123456789012"),
        ("arn:aws:iam::123456789012:role/ci", None),
        ("*", None),
        (Unknown("data.aws_caller_identity.current.account_id"), None),
    ],
)
def test_root_accounts(principal: object, account: str | None) -> None:
    assert root_account(principal) == account


@pytest.mark.parametrize(
    ("claim", "value", "pinned"),
    [
        ("sub", "repo:acme/app:*", True),
        ("sub", "repo:acme/app:ref:refs/heads/main", True),
        ("sub", "repo:acme/app:environment:prod", True),
        ("sub", "repo:acme/*", False),
        ("sub", "repo:acme/app*:*", False),
        ("sub", "repo:*", False),
        ("sub", "*", False),
        ("sub", "repository_owner_id:42:repository_id:1234:environment:prod", True),
        ("sub", "repository_owner:acme:*", False),
        ("sub", Unknown("var.repo"), True),
        ("repository", "acme/app", True),
        ("repository", "acme/*", False),
        ("repository_id", "123456", True),
        ("job_workflow_ref", "acme/pipelines/.github/workflows/deploy.yml@refs/heads/main", True),
        ("job_workflow_ref", "acme/*", False),
    ],
)
def test_github_claims(claim: str, value: object, pinned: bool) -> None:
    assert claim_value_pinned(claim, value) is pinned
    # StringEquals: `*` and `?` are characters; no repository is called `*`
    assert claim_value_pinned(claim, value, EXACT) is (value not in ("", None))


@pytest.mark.parametrize(
    ("claim", "value", "one_owner"),
    [
        ("sub", "repo:acme/*", True),  # "trusts more than one GitHub repository"
        ("sub", "repo:acme/app*:*", True),
        ("sub", "repo:*", False),  # "trusts any GitHub repository"
        ("sub", "repo:ac*/app:*", False),
        ("sub", "*", False),
        ("repository", "acme/*", True),
        ("job_workflow_ref", "acme/*", True),
        ("job_workflow_ref", "*", False),
        ("repository_id", "12*", False),
    ],
)
def test_github_unpinned_value_owner(claim: str, value: object, one_owner: bool) -> None:
    assert owner_pinned(claim, value) is one_owner


def test_widening_through_managed_policy_arns_says_what_the_policy_allows(tmp_path: Path) -> None:
    role = {"name": "app", "assume_role_policy": "{}", "tags": {"owner": "t"}}
    before = {**role, "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}
    after = {**role, "managed_policy_arns": [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
        "arn:aws:iam::111122223333:policy/custom",
    ]}
    plan = {"format_version": "1.2", "resource_changes": [{
        "address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
        "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {}},
    }]}
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    report = scan([str(tmp_path / "plan.json")], ScanOptions(config=Config(), today=TODAY)).report
    assert [f.message for f in report.findings if f.rule_id == "NHI_AWS_050"] == [
        "privilege widening: this update of role aws_iam_role.app attaches IAMFullAccess (allows iam:*, "
        "organizations:DescribeAccount, organizations:DescribeOrganization, organizations:DescribeOrganizationalUnit, "
        "organizations:DescribePolicy, ... 6 more), arn:aws:iam::111122223333:policy/custom through managed_policy_arns"
    ]


def test_user_credentials_and_hmac_keys_are_credentials_that_never_expire() -> None:
    from conftest import FIXTURES

    report = scan([str(FIXTURES / "hcl" / "inventory_credentials")], ScanOptions(config=Config(), today=TODAY)).report
    got = sorted((f.rule_id, f.resource, str(f.severity)) for f in report.findings)
    assert got == [
        ("NHI_AWS_003", "aws_iam_service_specific_credential.ci_git", "high"),
        ("NHI_AWS_003", "aws_iam_service_specific_credential.legacy", "high"),
        ("NHI_AWS_003", "aws_iam_signing_certificate.ci", "medium"),
        ("NHI_AWS_003", "aws_iam_user_login_profile.ci", "high"),
        ("NHI_EXP_002", "aws_iam_service_specific_credential.ci_bedrock_long", "medium"),
        ("NHI_GCP_005", "google_storage_hmac_key.backup", "high"),
        ("NHI_SEC_003", "output.ci_git_password", "high"),
    ]
    messages = {f.resource: f.message for f in report.findings}
    assert messages["aws_iam_service_specific_credential.ci_bedrock_long"] == (
        "credential aws_iam_service_specific_credential.ci_bedrock_long lives until 2027-11-01 (365 days), "
        "more than the 90-day maximum"
    )
    assert messages["aws_iam_service_specific_credential.legacy"] == (
        "aws_iam_service_specific_credential.legacy gives IAM user 'legacy-keyspaces' a service-specific "
        "credential for cassandra.amazonaws.com that never expires"
    )
    kinds = {i.resource: (i.kind, i.owner) for i in report.inventory}
    assert kinds["aws_iam_user_login_profile.ci"] == ("credential", "team-build")
    assert kinds["google_storage_hmac_key.backup"] == ("credential", "team-build")
    assert kinds["aws_iam_service_specific_credential.legacy"] == ("credential", "(unknown)")
