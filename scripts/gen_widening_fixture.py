"""Write fixtures/plan/aws_plan_widening.json: in-place updates that widen (or narrow) IAM policies.

    python scripts/gen_widening_fixture.py
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
sys.path.insert(0, "scripts")
from plan_fixture import build  # noqa: E402

ACCOUNT = "111122223333"
TAGS = {"owner": "team-data", "requested_by": "quinn", "approved_by": "rosa", "change_ticket": "CHG-9400"}
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
SUB = "token.actions.githubusercontent.com:sub"


def pol(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))


def trust(subjects):
    return pol(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": GITHUB},
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {SUB: subjects},
            },
        }
    )


def role(name, trust_policy):
    return {
        "name": name,
        "assume_role_policy": trust_policy,
        "tags": TAGS,
        "tags_all": TAGS,
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "id": name,
        "path": "/",
        "max_session_duration": 3600,
        "permissions_boundary": None,
        "force_detach_policies": False,
        "description": "",
    }


def role_policy(name, role_name, policy):
    return {"name": name, "role": role_name, "policy": policy, "id": f"{role_name}:{name}", "name_prefix": ""}


INPUT = ["arn:aws:s3:::acme-etl-input", "arn:aws:s3:::acme-etl-input/*"]
READ_OLD = pol({"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": INPUT})
READ_NEW = pol(
    {
        "Sid": "Read",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket", "iam:AttachRolePolicy"],
        "Resource": [*INPUT, f"arn:aws:iam::{ACCOUNT}:role/etl-*"],
    }
)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/etl-runs"
VPCE = {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60789"}}
RUNS_OLD = pol({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE, "Condition": VPCE})
RUNS_NEW = pol({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE})
OUT_OLD = pol({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-etl-output/*"})
OUT_NEW = pol(
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::acme-etl-output/daily/*"}
)
REFS = {"role": ["aws_iam_role.etl.id", "aws_iam_role.etl"]}


def change(address, expect, before, after, refs=None):
    out = {"address": address, "expect": expect, "action": "update", "before": before, "values": after}
    if refs:
        out["refs"] = refs
    return out


SPEC = {
    "resources": [
        change(
            "aws_iam_role.etl",
            "NHI_AWS_030, NHI_AWS_050",
            role("github-etl", trust(["repo:acme/etl:ref:refs/heads/main"])),
            role("github-etl", trust(["repo:acme/etl:ref:refs/heads/main", "repo:acme/etl:pull_request"])),
        ),
        change(
            "aws_iam_role_policy.etl_read",
            "NHI_AWS_050",
            role_policy("read", "github-etl", READ_OLD),
            role_policy("read", "github-etl", READ_NEW),
            REFS,
        ),
        change(
            "aws_iam_role_policy.etl_runs",
            "NHI_AWS_050",
            role_policy("runs", "github-etl", RUNS_OLD),
            role_policy("runs", "github-etl", RUNS_NEW),
            REFS,
        ),
        change(
            "aws_iam_role_policy.etl_output",
            "none",
            role_policy("output", "github-etl", OUT_OLD),
            role_policy("output", "github-etl", OUT_NEW),
            REFS,
        ),
    ]
}

with open("fixtures/plan/aws_plan_widening.json", "w", encoding="utf-8") as fh:
    fh.write(json.dumps(build(SPEC), indent=2) + "\n")
