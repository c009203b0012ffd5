"""Credentials recognised by their format (scanner/policy/credential_formats.py, NHI_SEC_001): what
counts, what does not, where they are found, and that no report ever shows one."""

from __future__ import annotations

import base64
import random
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.cli import main
from scanner.policy.config import Config
from scanner.policy.credential_formats import AWS_KEY_PAIR, PRIVATE_KEY, credentials_in, single_credentials
from scanner.policy.redact import config_digest

_RNG = random.Random(15)
_B62 = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _B62) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _pem() -> str:
    body = base64.b64encode(_RNG.randbytes(120)).decode()
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body[:64]}\n{body[64:]}\n-----END RSA PRIVATE KEY-----\n"


AWS_ID = "AKIA" + _rand(16, string.ascii_uppercase + "234567")
AWS_SECRET = _rand(18) + "/" + _rand(10) + "+" + _rand(9) + "9"

TOKENS = {
    "a GitHub token": "ghp_" + _rand(36),
    "a GitHub fine-grained token": "github_pat_" + _rand(22) + "_" + _rand(59),
    "a GitLab token": "glpat-" + _rand(20),
    "a Slack token": "xoxb-" + _rand(12, string.digits) + "-" + _rand(13, string.digits) + "-" + _rand(24),
    "a Slack webhook URL": "https://hooks.slack.com/services/T" + _rand(8, string.ascii_uppercase) + "/B"
    + _rand(8, string.ascii_uppercase) + "/" + _rand(24),
    "a Google API key": "AIza" + _rand(35),
    PRIVATE_KEY: _pem(),
}


@pytest.mark.parametrize(("what", "token"), TOKENS.items(), ids=list(TOKENS))
def test_each_format_is_found_in_surrounding_text(what: str, token: str) -> None:
    assert [(m.what, m.value) for m in single_credentials(f"export TOKEN='{token.strip()}' # from the wiki")] == [
        (what, token.strip())
    ]


@pytest.mark.parametrize(
    "text",
    [
        "ghp_" + "x" * 36,  # placeholders
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "AIzaSy" + "0" * 33,
        "ghp_" + _rand(20),  # too short
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",  # a template
        "-----BEGIN RSA PRIVATE KEY-----\n" + base64.b64encode(b"x" * 90).decode(),  # no END
        "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(_RNG.randbytes(90)).decode() + "\n-----END PUBLIC KEY-----",
        "arn:aws:iam::111122223333:role/ghp_deploy",
    ],
)
def test_placeholders_and_lookalikes_are_not_credentials(text: str) -> None:
    assert single_credentials(text) == []


def test_aws_keys_count_only_as_a_pair() -> None:
    assert {m.what for m in credentials_in([AWS_ID, f"secret={AWS_SECRET}"])} == {AWS_KEY_PAIR}
    assert credentials_in([AWS_ID]) == []  # a key ID is not secret
    assert credentials_in([AWS_SECRET]) == []  # 40 characters alone are too often something else
    assert credentials_in([AWS_ID, "da39a3ee5e6b4b0d3255bfef95601890afd80709"]) == []  # a SHA-1
    assert credentials_in(["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]) == []  # AWS docs
    # 40 characters inside a longer base64 run are not a secret
    assert credentials_in([AWS_ID, base64.b64encode(_RNG.randbytes(60)).decode()]) == []


def _report(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY)).report
    return [(f.rule_id, f.resource, f.message) for f in report.findings if f.rule_id == "NHI_SEC_001"]


def test_found_whatever_the_attribute_is_called(tmp_path: Path) -> None:
    token = TOKENS["a GitHub token"]
    script = f"#!/bin/sh\nAWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    user_data = base64.b64encode(script.encode())
    found = _report(
        tmp_path,
        f"""
resource "aws_launch_template" "t" {{
  name      = "t"
  user_data = "{user_data.decode()}"
}}
resource "null_resource" "n" {{
  triggers = {{ note = "{token}" }}
}}
resource "aws_ecs_task_definition" "e" {{
  family = "e"
  container_definitions = jsonencode([{{ name = "a", image = aws_ecr_repository.r.repository_url,
    secrets = [], environment = [{{ name = "T", value = "{TOKENS['a Google API key']}" }}] }}])
}}
""",
    )
    assert found == [
        ("NHI_SEC_001", "aws_launch_template.t",
         "aws_launch_template.t writes an AWS access key pair literally in `user_data (base64-decoded)`"),
        ("NHI_SEC_001", "null_resource.n", "null_resource.n writes a GitHub token literally in `triggers.note`"),
        ("NHI_SEC_001", "aws_ecs_task_definition.e", "aws_ecs_task_definition.e writes a Google API key literally "
         "in `container_definitions[0].environment[0].value`"),
    ]


def test_values_from_outside_the_code_are_not_literal(tmp_path: Path) -> None:
    """A variable without default, a data source, a module output: not written in the code."""
    assert _report(
        tmp_path,
        """
variable "token" {}
data "aws_ssm_parameter" "token" { name = "/ci/token" }
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = "arn:aws:iam::111122223333:role/f"
  environment {
    variables = { A = var.token, B = data.aws_ssm_parameter.token.value, C = module.m.token }
  }
}
""",
    ) == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_no_report_shows_a_credential(tmp_path: Path, fmt: str) -> None:
    env = "\n".join(f'      V{i} = "{t.strip()}"' for i, t in enumerate(TOKENS.values()) if "\n" not in t)
    (tmp_path / "main.tf").write_text(
        f"""
resource "aws_lambda_function" "f" {{
  function_name = "f"
  role          = "arn:aws:iam::111122223333:role/f"
  environment {{
    variables = {{
{env}
      KEY_ID = "{AWS_ID}"
      SECRET = "{AWS_SECRET}"
    }}
  }}
}}
resource "aws_instance" "i" {{
  ami       = "ami-0a1b2c3d"
  user_data = <<-EOT
{TOKENS[PRIVATE_KEY]}
  EOT
}}
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", fmt])
    assert result.exit_code == 1
    assert "NHI_SEC_001" in result.output
    for token in [*TOKENS.values(), AWS_ID, AWS_SECRET]:
        for part in token.strip().splitlines():
            assert part not in result.output


def test_the_digest_does_not_depend_on_a_credential_inside_a_text() -> None:
    def digest(secret: str) -> str:
        return config_digest({"user_data": f"#!/bin/sh\nexport K={AWS_ID}\nexport S={secret}\n"}, set())

    other = _rand(17) + "/" + _rand(21) + "1"
    assert digest(AWS_SECRET) == digest(other)


def test_json_text_nested_in_json_text_never_exceeds_the_recursion_limit() -> None:
    from scanner.model.resource import Resource
    from scanner.rules.secrets.nhi_sec_001_literal_secret import _credential_formats

    inner = "[" * 900 + '"' + TOKENS["a GitHub token"] + '"' + "]" * 900
    value: object = inner
    for _ in range(900):
        value = [value]
    res = Resource(address="null_resource.n", mode="managed", type="null_resource", name="n",
                   attrs={"triggers": {"deep": value, "shallow": [inner[880:-880]]}}, file="plan.json", line=1)
    assert [v.message for v in _credential_formats(res)] == [
        "null_resource.n writes a GitHub token literally in `triggers.shallow[0]" + "[0]" * 20 + "`"
    ]
