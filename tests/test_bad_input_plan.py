"""Plan JSON from every format version, broken plans, huge plans, and JSON that is no plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_bad_input_helpers import GOOD_FINDING, assert_bad, assert_clean, at_root, scan

__all__ = ["at_root"]
pytestmark = pytest.mark.usefixtures("at_root")

OWNED = {"owner": "team-ci", "approved_by": "alice", "ticket": "CHG-1"}


def _rc(address: str, rtype: str, after: Any, actions: list[str] | None = None, **change: Any) -> dict[str, Any]:
    name = address.split(".")[-1].split("[")[0]
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": actions or ["create"], "before": None, "after": after, "after_unknown": {}, **change},
    }


def _key(name: str = "k", **change: Any) -> dict[str, Any]:
    return _rc(
        f"aws_iam_access_key.{name}",
        "aws_iam_access_key",
        {"user": "ci", "status": "Active"},
        after_unknown={"id": True, "secret": True},
        **change,
    )


def _user() -> dict[str, Any]:
    return _rc("aws_iam_user.ci", "aws_iam_user", {"name": "ci", "path": "/", "tags": OWNED, "tags_all": OWNED})


def _write(tmp_path: Path, name: str, data: Any, indent: int | None = 2) -> str:
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data, indent=indent), encoding="utf-8")
    return str(f)


def _line_of(path: str, needle: str) -> int:
    """The line of the first ``"address": <needle>`` in resource_changes: where findings point."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = next(n for n, text in enumerate(lines) if '"resource_changes"' in text)
    return next(n for n, text in enumerate(lines[start:], start + 1) if f'"address": {needle}' in text)


def _versioned(version: str) -> dict[str, Any]:
    """The fields each format version of `terraform show -json` has (docs: internals/json-format)."""
    plan: dict[str, Any] = {
        "format_version": version,
        "terraform_version": "0.12.31",
        "planned_values": {"root_module": {"resources": []}},
    }
    key, user = _key(), _user()
    if version == "0.1":  # Terraform 0.12-0.14: no *_sensitive in changes
        pass
    else:
        plan["terraform_version"] = {"0.2": "0.15.5", "1.0": "1.0.11", "1.1": "1.3.9", "1.2": "1.9.5"}[version]
        for rc in (key, user):
            rc["change"]["after_sensitive"] = {"secret": True} if rc is key else {"tags": {}, "tags_all": {}}
            rc["change"]["before_sensitive"] = False
    if version in ("1.0", "1.1", "1.2"):
        plan["resource_drift"] = []
    if version in ("1.1", "1.2"):
        plan["relevant_attributes"] = [{"resource": "aws_iam_user.ci", "attribute": ["name"]}]
    if version == "1.2":
        plan.update({"applyable": True, "complete": True, "errored": False, "checks": []})
        key["change"]["importing"] = None
    plan["resource_changes"] = [user, key]
    plan["configuration"] = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_iam_user.ci",
                    "mode": "managed",
                    "type": "aws_iam_user",
                    "name": "ci",
                    "provider_config_key": "aws",
                    "expressions": {"name": {"constant_value": "ci"}},
                },
                {
                    "address": "aws_iam_access_key.k",
                    "mode": "managed",
                    "type": "aws_iam_access_key",
                    "name": "k",
                    "provider_config_key": "aws",
                    "expressions": {"user": {"references": ["aws_iam_user.ci.name", "aws_iam_user.ci"]}},
                },
            ]
        }
    }
    return plan


@pytest.mark.parametrize("version", ["0.1", "0.2", "1.0", "1.1", "1.2"])
def test_every_format_version(tmp_path: Path, version: str) -> None:
    plan = _write(tmp_path, "plan.json", _versioned(version))
    s = scan(tmp_path, plan, good=False)
    assert_clean(s)
    assert s.findings_at() == {("aws_iam_access_key.k", "NHI_AWS_001", _line_of(plan, '"aws_iam_access_key.k"'))}


def test_future_major_format_version_is_scanned_but_flagged(tmp_path: Path) -> None:
    data = _versioned("1.2")
    data["format_version"] = "2.0"
    plan = _write(tmp_path, "plan.json", data)
    s = scan(tmp_path, plan)
    assert_bad(
        s,
        {
            "file": plan,
            "line": None,
            "message": "plan format_version 2.0 is newer than nhi-guard "
            "knows (0.x and 1.x); scanned as 1.x, results may be wrong",
        },
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


def test_errored_plan_scans_what_was_planned(tmp_path: Path) -> None:
    data = _versioned("1.2")
    data["errored"] = True
    plan = _write(tmp_path, "plan.json", data)
    s = scan(tmp_path, plan)
    assert_bad(
        s,
        {
            "file": plan,
            "line": None,
            "message": "plan is marked errored: Terraform could not finish "
            "planning; the resources it did plan were scanned",
        },
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


def test_plan_without_changes_has_no_resource_changes(tmp_path: Path) -> None:
    # `terraform show -json` omits resource_changes when nothing changes
    plan = _write(
        tmp_path,
        "plan.json",
        {
            "format_version": "1.2",
            "terraform_version": "1.9.5",
            "planned_values": {"root_module": {}},
            "applyable": False,
            "complete": True,
            "errored": False,
        },
    )
    s = scan(tmp_path, plan, good=False)
    assert_clean(s)
    assert s.code == 0 and s.report["summary"]["files_scanned"] == 1


def test_after_null_on_create_is_an_error_with_its_line(tmp_path: Path) -> None:
    data = _versioned("1.2")
    data["resource_changes"].append(_rc("aws_iam_access_key.gone", "aws_iam_access_key", None))
    data["resource_changes"].append(_rc("aws_iam_access_key.deleted", "aws_iam_access_key", None, ["delete"]))
    data["resource_changes"].append(_rc("aws_iam_access_key.forgotten", "aws_iam_access_key", None, ["forget"]))
    plan = _write(tmp_path, "plan.json", data)
    s = scan(tmp_path, plan)
    assert_bad(
        s,
        {
            "file": plan,
            "line": _line_of(plan, '"aws_iam_access_key.gone"'),
            "message": "aws_iam_access_key.gone: change.after is null for a "
            "create action, so nothing about it is known; not scanned",
        },
    )
    resources = {r for r, _ in s.findings()}
    assert "aws_iam_access_key.k" in resources
    assert not resources & {"aws_iam_access_key.gone", "aws_iam_access_key.deleted", "aws_iam_access_key.forgotten"}


def test_unknown_resource_types_and_providers(tmp_path: Path) -> None:
    data = _versioned("1.2")
    secret = "Unkn0wn-Pr0vider-Secret-77"
    odd = _rc("acme_widget.w", "acme_widget", {"name": "w", "api_token": secret, "nested": [{"x": [1, {"y": None}]}]})
    odd["provider_name"] = "registry.example.com/acme/acme"
    odd["change"]["after_sensitive"] = {"api_token": True}
    data["resource_changes"].append(odd)
    data["resource_changes"].append(_rc("data.http.x", "http", {"url": "https://example.com"}, ["read"]))
    data["output_changes"] = {
        "token": {
            "actions": ["create"],
            "before": None,
            "after": secret,
            "after_unknown": False,
            "before_sensitive": False,
            "after_sensitive": True,
        }
    }
    plan = _write(tmp_path, "plan.json", data)
    s = scan(tmp_path, plan, good=False)
    assert_clean(s)
    assert {r for r, _ in s.findings()} == {"aws_iam_access_key.k"}
    assert secret not in json.dumps(s.report)


def test_state_file_is_not_a_plan(tmp_path: Path) -> None:
    state = _write(
        tmp_path,
        "terraform.tfstate.json",
        {"version": 4, "terraform_version": "1.9.5", "serial": 7, "lineage": "0c8e-4d", "outputs": {}, "resources": []},
    )
    s = scan(tmp_path, state)
    assert_bad(
        s,
        {
            "file": state,
            "line": None,
            "message": "JSON is not a Terraform plan from `terraform show -json` "
            "(it looks like a Terraform state file)",
        },
    )


def test_show_json_of_a_state_is_not_a_plan(tmp_path: Path) -> None:
    shown = _write(
        tmp_path,
        "state.json",
        {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"root_module": {"resources": []}}},
    )
    s = scan(tmp_path, shown)
    assert_bad(
        s,
        {
            "file": shown,
            "line": None,
            "message": "JSON is not a Terraform plan from `terraform show -json` "
            "(it looks like `terraform show -json` of a state, not of a "
            "plan)",
        },
    )


def test_tfvars_json_is_not_a_plan(tmp_path: Path) -> None:
    tfvars = _write(tmp_path, "prod.tfvars.json", {"region": "eu-west-1", "db_password": "hunter2hunter2"})
    s = scan(tmp_path, tfvars)
    assert_bad(
        s,
        {
            "file": tfvars,
            "line": None,
            "message": "JSON is not a Terraform plan from `terraform show -json` "
            "(it looks like a variables file, .tfvars.json, which "
            "declares no resources; pass it with --var-file)",
        },
    )
    assert "hunter2hunter2" not in json.dumps(s.report)


@pytest.mark.parametrize("data", [[], [1, 2], '"plan"', 42, None, {}, {"resources": []}])
def test_other_json_is_not_a_plan(tmp_path: Path, data: Any) -> None:
    other = _write(tmp_path, "other.json", data)
    s = scan(tmp_path, other)
    assert_bad(s, {"file": other, "line": None, "message": "JSON is not a Terraform plan from `terraform show -json`"})


def test_saved_binary_plan(tmp_path: Path) -> None:
    saved = tmp_path / "tfplan"
    saved.write_bytes(b"PK\x03\x04\x14\x00\x08\x00" + bytes(range(256)))
    s = scan(tmp_path, str(saved))
    assert_bad(
        s,
        {
            "file": str(saved),
            "line": None,
            "message": "a binary file (a saved plan from `terraform plan "
            "-out`?); scan `terraform show -json FILE` instead",
        },
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"format_version": "1.2",\n "resource_changes": [\n', 3, "invalid JSON: Expecting value"),
        ('{"format_version": "1.2", "resource_changes": [] ', 1, "invalid JSON: Expecting ',' delimiter"),
        ("", 1, "invalid JSON: Expecting value"),
        (
            '{"format_version": "1.2", "planned_values": {}, "x": ' + "9" * 5000 + "}",
            None,
            "invalid JSON: a number is too long to read",
        ),
    ],
)
def test_invalid_json(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    plan = _write(tmp_path, "plan.json", text)
    s = scan(tmp_path, plan)
    assert_bad(s, {"file": plan, "line": line, "message": message})


def test_json_nested_ten_thousand_levels(tmp_path: Path) -> None:
    deep = _write(tmp_path, "deep.json", "[" * 10_000 + "]" * 10_000)
    inside = _write(
        tmp_path,
        "inside.json",
        '{"format_version": "1.2", "planned_values": {}, "resource_changes": '
        '[{"address": "a.b", "type": "a", "name": "b", "change": {"actions": ["create"], "after": '
        + '{"x": ' * 10_000
        + "1"
        + "}" * 10_000
        + "}}]}",
    )
    s = scan(tmp_path, deep, inside)
    assert_bad(
        s,
        {"file": deep, "line": None, "message": "JSON nested too deeply to read"},
        {"file": inside, "line": None, "message": "JSON nested too deeply to read"},
    )


def test_lone_surrogates_do_not_break_the_report(tmp_path: Path) -> None:
    data = _versioned("1.2")
    data["resource_changes"][0]["change"]["after"]["tags"] = {"owner": "team-\ud800x"}
    text = json.dumps(data)  # ensure_ascii: the surrogate is written as the escape \ud800
    assert "\\ud800" in text
    plan = _write(tmp_path, "plan.json", text)
    for fmt in ("json", "text", "sarif", "markdown"):
        s = scan(tmp_path, plan, good=False)
        assert_clean(s)
        result = subprocess.run(
            [sys.executable, "-m", "scanner", "scan", plan, "--format", fmt],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert b"Traceback" not in result.stderr


# --------------------------------------------------------------------------- 100 MB


def _write_big_plan(path: Path, target: int) -> int:
    """A realistic plan of ``target`` bytes, streamed to disk. Returns the number of access keys.

    Like real plans, most resources are not identities (security groups, instances, buckets);
    one in five is an IAM role with an inline policy, one in 500 an access key.
    """
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::data-{n}", f"arn:aws:s3:::data-{n}/*"],
                }
                for n in range(4)
            ],
        }
    )
    ingress = [
        {
            "from_port": p,
            "to_port": p,
            "protocol": "tcp",
            "cidr_blocks": [f"10.{p % 256}.0.0/16"],
            "description": f"port {p}",
            "ipv6_cidr_blocks": [],
            "prefix_list_ids": [],
            "security_groups": [],
            "self": False,
        }
        for p in range(20, 40)
    ]
    keys = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(
            '{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{"root_module":{}},'
            '"resource_changes":['
        )
        i = 0
        while fh.tell() < target:
            module = f'module.team[{i % 40}].module.svc["s{i % 7}"]'
            if i % 500 == 0:
                rc = _key(f"k{i}")
                keys += 1
            elif i % 5 == 0:
                rc = _rc(
                    f"aws_iam_role.r{i}",
                    "aws_iam_role",
                    {
                        "name": f"role-{i}",
                        "path": "/service/",
                        "max_session_duration": 3600,
                        "assume_role_policy": json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Principal": {"Service": "lambda.amazonaws.com"},
                                        "Action": "sts:AssumeRole",
                                    }
                                ],
                            }
                        ),
                        "inline_policy": [{"name": "data", "policy": policy}],
                        "tags": OWNED,
                        "tags_all": OWNED,
                    },
                    after_unknown={"arn": True, "id": True, "unique_id": True, "create_date": True},
                    after_sensitive={"tags": {}, "tags_all": {}, "inline_policy": [{}]},
                )
            elif i % 5 in (1, 2):
                rc = _rc(
                    f"aws_security_group.sg{i}",
                    "aws_security_group",
                    {
                        "name": f"sg-{i}",
                        "description": "service",
                        "ingress": ingress,
                        "egress": ingress[:2],
                        "tags": OWNED,
                        "tags_all": OWNED,
                        "revoke_rules_on_delete": False,
                        "timeouts": None,
                    },
                    after_unknown={"arn": True, "id": True, "owner_id": True, "vpc_id": True},
                )
            else:
                rc = _rc(
                    f"aws_instance.vm{i}",
                    "aws_instance",
                    {
                        "ami": "ami-0abcdef1234567890",
                        "instance_type": "t3.micro",
                        "monitoring": True,
                        "user_data": "#!/bin/sh\necho start\n" * 40,
                        "tags": OWNED,
                        "tags_all": OWNED,
                        "root_block_device": [{"volume_size": 20, "volume_type": "gp3", "encrypted": True}],
                        "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}],
                    },
                    after_unknown={"arn": True, "id": True, "private_ip": True, "public_ip": True},
                    after_sensitive={"tags": {}, "tags_all": {}, "root_block_device": [{}]},
                )
            rc["address"] = f"{module}.{rc['address']}"
            rc["module_address"] = module
            fh.write(("," if i else "") + json.dumps(rc))
            i += 1
        fh.write('],"configuration":{"root_module":{}}}')
    return keys


def test_hundred_megabyte_plan_time_and_memory(tmp_path: Path) -> None:
    plan = tmp_path / "big.json"
    keys = _write_big_plan(plan, 100 * 1024 * 1024)
    report = tmp_path / "report.json"
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", str(plan), "--format", "json", "--output", str(report)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    print(f"100 MB plan: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MiB")
    assert proc.returncode == 1, stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["errors"] == []
    assert {f["rule_id"] for f in data["findings"]} == {"NHI_AWS_001"}
    assert len(data["findings"]) == keys
    assert peak_mb < 2048, f"peak RSS {peak_mb:.0f} MiB"
    assert elapsed < 300


def test_plan_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "plan.json"
    with open(big, "wb") as fh:  # sparse
        fh.truncate(257 * 1024 * 1024)
    s = scan(tmp_path, str(big))
    assert_bad(
        s, {"file": str(big), "line": None, "message": "file is larger than the 256 MiB limit (257.0 MiB); not scanned"}
    )


def test_good_input_is_scanned_when_every_other_input_is_bad(tmp_path: Path) -> None:
    plan = _write(tmp_path, "plan.json", "{")
    s = scan(tmp_path, plan, plan, str(tmp_path / "missing.json"))
    assert s.code == 2 and GOOD_FINDING in s.findings()
    assert [e["file"] for e in s.errors] == [str(tmp_path / "missing.json"), plan]  # sorted by file


def test_a_plan_that_only_deletes_counts_what_it_judged(tmp_path: Path) -> None:
    """A plan whose only change deletes a gate: its finding was reported "in 0 resource(s)"."""
    data = _versioned("1.2")
    data["resource_changes"] = [
        {"address": "github_branch_protection.main", "mode": "managed", "type": "github_branch_protection",
         "name": "main", "change": {"actions": ["delete"], "after": None, "before": {
             "repository_id": "app", "pattern": "main",
             "required_pull_request_reviews": [{"required_approving_review_count": 2}]}}},
    ]  # fmt: skip
    plan = _write(tmp_path, "plan.json", data)
    s = scan(tmp_path, plan, good=False)
    assert [rule for _, rule in s.findings()] == ["NHI_SOD_051"]
    assert s.report["summary"]["resources_scanned"] == 1
