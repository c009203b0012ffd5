"""Sensitivity propagates: a value computed from a secret is secret, and no output shows it.

Terraform marks what a sensitive value flows into, through any function, template, conditional,
local and collection; so does the evaluator (scanner/model/marks.py), and the redactor masks it in
every output: the four report formats, annotations, the job summary and the pull request comment.
Values that merely sit next to a secret (`merge({owner = "team-a"}, {pw = var.pw})`) stay visible,
and redaction never alters an address, an attribute name or rule text.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.action.commands import annotation_commands
from scanner.integrations.action.summary import SummaryInput, comment_body, job_summary
from scanner.model.report import Report
from scanner.reporters import FORMATS, get_reporter

SECRET = "Hunter2-Sens-pw"
_VARIABLE = f"""
variable "pw" {{
  type      = string
  sensitive = true
  default   = "{SECRET}"
}}
"""


def outputs(report: Report, workspace: Path) -> dict[str, str]:
    """Every text nhi-guard writes for a report."""
    out = {fmt: get_reporter(fmt)(report, False) for fmt in FORMATS}  # every format, new ones too
    out["annotations"] = "\n".join(annotation_commands(report.findings, str(workspace))[0])
    summary = SummaryInput(report=report, fail_on=None, pr_author="someone")
    out["job summary"] = job_summary(summary)
    out["comment"] = comment_body(summary, "https://github.example/run/1")
    return out


def variants(secret: str) -> set[str]:
    return {secret, secret.upper(), secret.lower(), base64.b64encode(secret.encode()).decode()}


def _scan(tmp_path: Path, hcl: str) -> Report:
    (tmp_path / "main.tf").write_text(_VARIABLE + hcl, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(today=TODAY)).report
    assert report.errors == []
    return report


#: the issue's examples, and every other way a value can flow: each expression is used as a tag
#: value, a description (key=value metadata) and a non-sensitive output
EXPRESSIONS = {
    "upper": "upper(var.pw)",
    "lower": "lower(var.pw)",
    "replace": 'replace(var.pw, "-", "_")',
    "substr": "substr(var.pw, 0, 12)",
    "trimspace": 'trimspace("  ${var.pw}  ")',
    "template": '"owner=${var.pw}"',
    "format": 'format("%s-x", var.pw)',
    "join": 'join(",", ["a", var.pw])',
    "jsonencode": "jsonencode({pw = var.pw})",
    "base64encode": "base64encode(var.pw)",
    "conditional": 'length(var.pw) > 3 ? upper(var.pw) : "short"',
    "local chain": "local.c",
    "collection": 'element([upper(var.pw), "x"], 0)',
    "map": 'lookup({k = lower(var.pw)}, "k")',
    "merge": 'merge({a = "b"}, {k = upper(var.pw)}).k',
    "heredoc": "trimspace(local.h)",
    "sensitive()": 'upper(sensitive("Other-Sens-Value-1"))',
    "resource attribute": "upper(aws_db_instance.db.password)",
}
_SINKS = """
locals {{
  a = upper(var.pw)
  b = "${{local.a}}-suffix"
  c = replace(local.b, "-", "+")
  h = <<EOT
prefix ${{upper(var.pw)}}
EOT
}}

resource "aws_db_instance" "db" {{
  identifier = "db"
  password   = "Db-Literal-Pass-9"
}}

resource "aws_iam_user" "u" {{
  name = "u"
  tags = {{ owner = {expr}, approved_by = {expr}, change_ticket = {expr} }}
}}

resource "google_service_account" "sa" {{
  account_id  = "sa"
  description = join(" ", ["owner=${{{expr}}}", "approved_by=${{{expr}}}"])
}}

output "leak" {{
  value = {expr}
}}
"""


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_a_value_derived_from_a_secret_reaches_no_output(tmp_path: Path, name: str) -> None:
    expr = EXPRESSIONS[name].strip()
    report = _scan(tmp_path, _SINKS.format(expr=expr))
    leaked = []
    derived = {SECRET, "Other-Sens-Value-1", "Db-Literal-Pass-9"}
    for secret in derived:
        for variant in variants(secret) | {variants(s).pop() for s in (secret[:12], secret.replace("-", "_"))}:
            leaked += [(fmt, variant) for fmt, text in outputs(report, tmp_path).items() if variant in text]
    assert leaked == []
    # the metadata is masked, not missing: it was set, to something secret
    owner = {i.resource: i.owner for i in report.inventory}
    assert owner["aws_iam_user.u"] == owner["google_service_account.sa"] == "***REDACTED***"


def test_a_value_next_to_a_secret_stays_visible(tmp_path: Path) -> None:
    report = _scan(
        tmp_path,
        """
locals {
  cfg = { owner = "team-a", pw = var.pw, ticket = "CHG-7" }
}
resource "aws_iam_user" "u" {
  name = "u"
  tags = merge({ approved_by = "bob" }, { owner = lookup(local.cfg, "owner"), change_ticket = local.cfg.ticket,
                                          note = var.pw })
}
""",
    )
    (item,) = report.inventory
    assert (item.owner, item.approved_by, item.change_ticket) == ("team-a", "bob", "CHG-7")
    assert not [text for text in outputs(report, tmp_path).values() if SECRET in text]


def test_redaction_never_alters_addresses_attribute_names_or_rule_text(tmp_path: Path) -> None:
    """The issue's report: a short sensitive value in one input (the word `password`) masked that word
    in every message of the combined report (`azuread_service_principal_***REDACTED***.spn_pass`)."""
    plan = {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": [
            {"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
             "change": {"actions": ["create"], "before": None, "after": {"name": "u",
                        "tags": {"owner": "password", "note": "Xq-Real-Secret-77"}}, "after_unknown": {},
                        "after_sensitive": {"tags": {"owner": True, "note": True}}}}
        ],
    }  # fmt: skip
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    module = tmp_path / "infra"
    module.mkdir()
    (module / "main.tf").write_text(
        'resource "azuread_service_principal_password" "spn_pass" {\n  service_principal_id = "abc"\n}\n'
        'resource "aws_iam_user" "x" {\n  name = "password-rotator"\n'
        '  tags = { owner = "Xq-Real-Secret-77-team", password_policy = "strict" }\n}\n',
        encoding="utf-8",
    )
    report = scan([str(tmp_path / "plan.json"), str(module)], ScanOptions(today=TODAY)).report
    messages = {(f.rule_id, f.resource): f.message for f in report.findings}
    assert messages[("NHI_AZ_001", "azuread_service_principal_password.spn_pass")] == (
        "client secret azuread_service_principal_password.spn_pass (for `abc`) sets neither `end_date` nor "
        "`end_date_relative`: Microsoft Graph issues it for two years and nothing rotates it"
    )
    assert all("REDACTED" not in f.message and "REDACTED" not in f.title for f in report.findings)
    owners = {i.resource: i.owner for i in report.inventory}
    # the value that is the word: masked where it is the whole value; a real secret: masked inside values
    assert owners["aws_iam_user.u"] == "***REDACTED***"
    assert owners["aws_iam_user.x"] == "***REDACTED***-team"


def test_a_secret_for_each_key_is_not_an_instance_key(tmp_path: Path) -> None:
    """Terraform refuses a sensitive `for_each` ("the sensitive value could be exposed as a resource
    instance key"); a draft that does it anyway must not print the secret in every address."""
    report = _scan(
        tmp_path,
        """
variable "m" {
  type      = map(string)
  sensitive = true
  default   = { alice = "Hunter3-Sens-map" }
}
resource "aws_iam_user" "u" {
  for_each = toset([upper(var.pw), "plain"])
  name     = "u"
}
resource "aws_iam_access_key" "k" {
  for_each = { for k, v in var.m : v => k }
  user     = each.key
}
""",
    )
    texts = outputs(report, tmp_path)
    assert [(fmt, v) for fmt, text in texts.items() for v in variants(SECRET) | variants("Hunter3-Sens-map")
            if v in text] == []  # fmt: skip
    # the resources are still checked, as with a for_each that cannot be known
    assert sorted({(f.rule_id, f.resource) for f in report.findings if f.rule_id == "NHI_AWS_001"}) == [
        ("NHI_AWS_001", "aws_iam_access_key.k")
    ]
    assert sorted(i.resource for i in report.inventory) == ["aws_iam_access_key.k", "aws_iam_user.u"]


def test_a_date_read_from_a_secret_is_not_shown_reformatted(tmp_path: Path) -> None:
    """A secret expiry timestamp was shown as its date (`expired on 2020-01-02`): derived from the secret."""
    report = _scan(
        tmp_path,
        """
variable "exp" {
  type      = string
  sensitive = true
  default   = "2020-01-02T10:00:00Z"
}
resource "aws_iam_user" "u" {
  name = "u"
  tags = { owner = "a", approved_by = "b", change_ticket = "CHG-1", expires = var.exp }
}
""",
    )
    assert [f.message for f in report.findings] == [
        "identity aws_iam_user.u expired on ***REDACTED*** (`expires` metadata)"
    ]
    assert [(fmt, text) for fmt, text in outputs(report, tmp_path).items() if "2020-01-02" in text] == []


def test_a_secret_phrase_of_rule_words_does_not_alter_rule_text(tmp_path: Path) -> None:
    """A sensitive value `never expires` masked those words in every access key's message
    (`... AWS access key that ***REDACTED***`): a phrase of rule words is treated as one word is."""
    report = _scan(
        tmp_path,
        """
variable "note" {
  sensitive = true
  default   = "never expires"
}
resource "aws_iam_user" "u" {
  name = "u"
  tags = { owner = "a", approved_by = "b", change_ticket = "CHG-1", note = var.note }
}
resource "aws_iam_access_key" "k" {
  user = aws_iam_user.u.name
}
""",
    )
    assert [f.message for f in report.findings if f.rule_id == "NHI_AWS_001"] == [
        "aws_iam_access_key.k creates a long-lived AWS access key that never expires"
    ]
