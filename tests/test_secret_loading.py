"""Loader behaviour the secret-exposure rules rely on: provenance (refs, has_config) and providers."""

from __future__ import annotations

import json
from typing import Any

from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.plan import load_plan
from scanner.model.values import Unknown


def _plan(configuration: dict[str, Any] | None) -> dict[str, Any]:
    rc = {
        "address": "aws_ssm_parameter.p[0]",
        "mode": "managed",
        "type": "aws_ssm_parameter",
        "name": "p",
        "index": 0,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"type": "SecureString", "value": "x"},
            "after_unknown": {},
            "before_sensitive": False,
            "after_sensitive": {"value": True},
        },
    }
    data: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {},
        "resource_changes": [rc],
    }
    if configuration is not None:
        data["configuration"] = configuration
    return data


def _load(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    doc = load_plan(data, json.dumps(data, indent=2), "plan.json")
    return {r.address: r for r in doc.resources}


def test_plan_refs_carry_no_instance_keys_and_has_config() -> None:
    config = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_ssm_parameter.p",
                    "mode": "managed",
                    "type": "aws_ssm_parameter",
                    "name": "p",
                    "expressions": {
                        "value": {
                            "references": [
                                'random_password.r["a"].result',
                                'random_password.r["a"]',
                                "random_password.r",
                            ]
                        }
                    },
                }
            ]
        }
    }
    res = _load(_plan(config))["aws_ssm_parameter.p[0]"]
    assert res.has_config
    assert res.refs["value"] == ["random_password.r.result", "random_password.r"]
    assert not _load(_plan(None))["aws_ssm_parameter.p[0]"].has_config


def test_plan_provider_config_becomes_provider_resources() -> None:
    config = {
        "provider_config": {
            "aws": {
                "name": "aws",
                "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {
                    "access_key": {"constant_value": "AKIAEXAMPLE"},
                    "token": {"references": ["var.token"]},
                    "secret_key": {},
                    "assume_role": [{"role_arn": {"constant_value": "arn:aws:iam::1:role/x"}}],
                },
            },
            "aws.eu": {"name": "aws", "alias": "eu", "expressions": {"region": {"constant_value": "eu-west-1"}}},
            "random": {"name": "random", "full_name": "registry.terraform.io/hashicorp/random"},
        },
        "root_module": {},
    }
    res = _load(_plan(config))
    aws, eu = res["provider.aws"], res["provider.aws.eu"]
    assert "provider.random" not in res  # required, but no provider block written
    assert (aws.mode, aws.type, aws.name, eu.name) == ("provider", "aws", "default", "eu")
    assert aws.attrs["access_key"] == "AKIAEXAMPLE"
    assert isinstance(aws.attrs["token"], Unknown) and isinstance(aws.attrs["secret_key"], Unknown)
    assert aws.get("assume_role.role_arn") == "arn:aws:iam::1:role/x"
    assert aws.refs == {"token": ["var.token"]}
    assert eu.attrs == {"region": "eu-west-1"}


def test_hcl_indexed_reference_records_the_attribute() -> None:
    text = """
resource "aws_iam_access_key" "k" {
  count = 1
  user  = "ci"
}
output "s" { value = aws_iam_access_key.k[0].secret }
"""
    doc = load_chunks([Chunk("main.tf", text)], {"main.tf": text.splitlines()})
    out = {r.address: r for r in doc.resources}["output.s"]
    assert out.refs["value"] == ["aws_iam_access_key.k", "aws_iam_access_key.k.secret"]
