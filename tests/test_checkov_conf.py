"""Checkov's conf quirks become the scanner's three-valued model (no checkov needed)."""

from __future__ import annotations

import json

from scanner.integrations.checkov.conf import attributes
from scanner.model.values import PartialJson, Unknown
from scanner.rules import all_rules

NOT_IN_CHECKOV = {r.id for r in all_rules() if not r.in_checkov}


def test_wrapped_values_blocks_and_maps() -> None:
    attrs = attributes({
        "__start_line__": 3, "__end_line__": 9, "__address__": "aws_iam_role.r",
        "name": ["ci"],
        "managed_policy_arns": [["arn:a", "arn:b"]],
        "tags": [{"Owner": "team-a", "__file__": "/p.json", "__startline__": 4, "start_line": 3}],
        "tags_all": [{"Owner": ["team-a"], "__file__": ["/p.json"]}],
        "inline_policy": [{"name": ["p"], "policy": [{"Version": "2012-10-17", "Statement": []}]}],
        "rotation_rules": [{"automatically_after_days": [30]}, {"automatically_after_days": [60]}],
    })
    assert attrs["name"] == "ci"
    assert attrs["managed_policy_arns"] == ["arn:a", "arn:b"]
    assert attrs["tags"] == {"Owner": "team-a"}  # metadata keys inside the map are dropped
    assert attrs["tags_all"] == {"Owner": "team-a"}
    assert attrs["inline_policy"][0]["name"] == "p"  # a single block is still a list of blocks
    assert json.loads(attrs["inline_policy"][0]["policy"]) == {"Version": "2012-10-17", "Statement": []}
    assert [b["automatically_after_days"] for b in attrs["rotation_rules"]] == [30, 60]
    assert "__address__" not in attrs and "__start_line__" not in attrs


def test_unresolved_references_are_unknown_never_missing() -> None:
    attrs = attributes({
        "tags": [{"owner": "var.owner", "team": "local.team"}],
        "assume_role_policy": ["data.aws_iam_policy_document.trust.json"],
        "user": ["aws_iam_user.ci.name"],
        "subject": [{"name": ["kubernetes_service_account_v1.ci.metadata[0].name"]}],
        "end_date": ['timeadd(time_rotating.ci.id,"1440h")'],
        "sub": ["repo:var.github_repository:*"],
        "arn": ["true_after_unknown"],
        "description": ["${var.description}"],
    })
    assert isinstance(attrs["tags"]["owner"], Unknown) and isinstance(attrs["tags"]["team"], Unknown)
    for key in ("assume_role_policy", "user", "end_date", "sub", "arn", "description"):
        assert isinstance(attrs[key], Unknown), key
    assert isinstance(attrs["subject"][0]["name"], Unknown)


def test_literals_that_merely_contain_dots_stay_known() -> None:
    attrs = attributes({"service": ["ec2.amazonaws.com"], "member": ["serviceAccount:ci@p.iam.gserviceaccount.com"],
                        "path": ["s3://bucket/data.csv"], "email": ["first_last@example.com"]})
    assert attrs == {"service": "ec2.amazonaws.com", "member": "serviceAccount:ci@p.iam.gserviceaccount.com",
                     "path": "s3://bucket/data.csv", "email": "first_last@example.com"}


def test_unrendered_jsonencode_is_read_without_executing_it() -> None:
    raw = "${jsonencode({'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '${aws_s3_bucket.b.arn}'}]})}"
    policy = attributes({"policy": [raw]})["policy"]
    assert isinstance(policy, PartialJson)
    assert policy.value["Statement"][0]["Action"] == "*"
    assert isinstance(policy.value["Statement"][0]["Resource"], Unknown)
    hostile = "${jsonencode(__import__('os').system('echo pwned'))}"
    assert isinstance(attributes({"policy": [hostile]})["policy"], Unknown)


def test_dynamic_blocks_are_unknown() -> None:
    attrs = attributes({"dynamic": [{"rotation": [{"rotation_period": ["rotation.value"]}]}],
                        "rotation": [{"rotation_period": ["rotation.value"]}]})
    assert isinstance(attrs["rotation"], Unknown)
    assert "dynamic" not in attrs


def test_every_rule_can_be_a_checkov_check_or_is_documented_as_impossible() -> None:
    for rule in all_rules():
        if rule.id in NOT_IN_CHECKOV:
            continue
        assert rule.resource_types or rule.resource_patterns, (
            f"{rule.id} overrides applies_to without resource_types/resource_patterns, so Checkov cannot "
            "register it; declare the types (fnmatch patterns are fine)")


def test_no_repository_file_can_crash_checkovs_policy_loader() -> None:
    """checkov 3.3.30's --external-checks-git ignores the //checks subdirectory: it loads every
    .json/.yaml of the whole clone as a graph policy. None of ours may make that loader raise."""
    import subprocess

    from conftest import ROOT

    files = subprocess.run(["git", "ls-files", "*.json"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in files:
        try:
            json.loads((ROOT / name).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise AssertionError(f"{name} cannot be parsed as JSON ({exc}); give it another extension") from exc
