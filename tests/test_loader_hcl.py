"""What the HCL loader resolves statically, and what it must leave unknown."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.loaders.hcl import Chunk, load_chunks
from scanner.model.resource import Resource
from scanner.model.values import MISSING, PartialJson, Unknown


def load(text: str, file: str = "main.tf") -> dict[str, Resource]:
    doc = load_chunks([Chunk(file, text)], {file: text.splitlines()})
    assert doc.errors == []
    return {r.address: r for r in doc.resources}


def test_variable_defaults_locals_merge_and_interpolation() -> None:
    res = load("""
variable "team" { default = "platform" }
variable "nodefault" {}
locals {
  base = { owner = "team-${var.team}" }
  tags = merge(local.base, { env = "prod" })
}
resource "aws_iam_role" "r" {
  name = "ci-${var.team}"
  tags = local.tags
  description = "x-${var.nodefault}"
}
""")["aws_iam_role.r"]
    assert res.attrs["name"] == "ci-platform"
    assert res.attrs["tags"] == {"owner": "team-platform", "env": "prod"}
    assert isinstance(res.attrs["description"], Unknown)


def test_unknown_map_stays_unknown_not_missing() -> None:
    res = load("""
variable "tags" {}
resource "aws_iam_role" "r" {
  name = "r"
  tags = merge(var.tags, { a = "b" })
}
""")["aws_iam_role.r"]
    assert isinstance(res.attrs["tags"], Unknown)


def test_jsonencode_heredoc_and_partial_json() -> None:
    r = load("""
resource "aws_s3_bucket" "b" { bucket = "b" }
resource "aws_iam_policy" "known" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_policy" "partial" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:*", Resource = aws_s3_bucket.b.arn }] })
}
resource "aws_iam_policy" "heredoc" {
  policy = <<-EOT
    {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "${aws_s3_bucket.b.bucket}"}]}
  EOT
}
""")
    assert json.loads(r["aws_iam_policy.known"].attrs["policy"])["Statement"][0]["Action"] == "s3:*"
    partial = r["aws_iam_policy.partial"].attrs["policy"]
    assert isinstance(partial, PartialJson)
    assert partial.value["Statement"][0]["Action"] == "s3:*"
    assert isinstance(partial.value["Statement"][0]["Resource"], Unknown)
    # a literal attribute of another resource resolves; the heredoc is interpolated
    assert json.loads(r["aws_iam_policy.heredoc"].attrs["policy"])["Statement"][0]["Resource"] == "b"
    assert "aws_s3_bucket.b" in r["aws_iam_policy.partial"].refs["policy"]


def test_policy_document_renders_with_conditions_and_overrides() -> None:
    r = load("""
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "trust" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/app:*"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
""")
    doc = json.loads(r["aws_iam_role.r"].attrs["assume_role_policy"])
    assert [s.get("Sid") for s in doc["Statement"]] == ["Read", None]
    stmt = doc["Statement"][1]
    assert stmt["Effect"] == "Allow"
    assert stmt["Principal"] == {
        "Federated": ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
    }
    assert stmt["Condition"] == {"StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/app:*"]}}
    assert "data.aws_iam_policy_document.trust" in r["aws_iam_role.r"].refs["assume_role_policy"]


def test_default_tags_per_provider_alias() -> None:
    r = load("""
provider "aws" {
  default_tags { tags = { owner = "team-default" } }
}
provider "aws" {
  alias = "us"
  default_tags { tags = { owner = "team-us", env = "prod" } }
}
provider "aws" {
  alias = "bare"
}
resource "aws_iam_role" "default" { name = "a" }
resource "aws_iam_role" "us" {
  provider = aws.us
  name     = "b"
  tags     = { env = "dev" }
}
resource "aws_iam_role" "bare" {
  provider = aws.bare
  name     = "c"
}
""")
    assert r["aws_iam_role.default"].attrs["tags_all"] == {"owner": "team-default"}
    assert r["aws_iam_role.us"].attrs["tags_all"] == {"owner": "team-us", "env": "dev"}
    assert r["aws_iam_role.us"].provider == "aws.us"
    assert "tags_all" not in r["aws_iam_role.bare"].attrs


def test_unquoted_labels_blocks_lines_and_dynamic() -> None:
    r = load("""resource aws_iam_role r {
  name = "r"

  inline_policy {
    name   = "p"
    policy = "{}"
  }
  dynamic "inline_policy" {
    for_each = var.x
    content {}
  }
}
""")["aws_iam_role.r"]
    assert r.line == 1
    assert r.line_of("name") == 2
    assert r.line_of("inline_policy.0.policy") == 6
    assert isinstance(r.attrs["inline_policy"], Unknown)


def test_nested_blocks_are_lists_and_get_path_enters_them() -> None:
    r = load("""
resource "aws_secretsmanager_secret_rotation" "r" {
  secret_id = "x"
  rotation_rules { automatically_after_days = 30 }
}
""")["aws_secretsmanager_secret_rotation.r"]
    assert r.attrs["rotation_rules"] == [{"automatically_after_days": 30}]
    assert r.get("rotation_rules.automatically_after_days") == 30
    assert r.get("rotation_rules.nope") is MISSING


def test_syntax_error_names_file_and_line_and_hides_values() -> None:
    text = 'resource "aws_iam_user" "u" {\n  name = "u"\n  password = "hunter2-secret" "x"\n}\n'
    doc = load_chunks([Chunk("bad.tf", text)], {})
    assert len(doc.errors) == 1
    err = doc.errors[0]
    assert (err.file, err.line) == ("bad.tf", 3)
    assert "hunter2" not in err.message


def test_functions_and_conditionals() -> None:
    r = load("""
variable "prod" { default = true }
resource "aws_iam_role" "r" {
  name = var.prod ? "prod-role" : "dev-role"
  tags = { owner = lower("TEAM-A"), joined = join(",", ["a", "b"]), t = timestamp(), c = coalesce("", "x") }
  description = format("%s-%d", "a", 3)
}
""")["aws_iam_role.r"]
    assert r.attrs["name"] == "prod-role"
    assert r.attrs["tags"]["owner"] == "team-a"
    assert r.attrs["tags"]["joined"] == "a,b"
    assert isinstance(r.attrs["tags"]["t"], Unknown)
    assert r.attrs["tags"]["c"] == "x"
    assert r.attrs["description"] == "a-3"


def test_directory_modules_do_not_share_scope(tmp_path: Path) -> None:
    from scanner.loaders.inputs import load_inputs

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "vars.tf").write_text('variable "owner" { default = "team-a" }\n')
    (tmp_path / "a" / "main.tf").write_text('resource "aws_iam_role" "r" {\n  tags = { owner = var.owner }\n}\n')
    (tmp_path / "b" / "main.tf").write_text('resource "aws_iam_role" "r" {\n  tags = { owner = var.owner }\n}\n')
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "x.tf").write_text("this is not even hcl {{{")
    loaded = load_inputs([str(tmp_path)])
    assert loaded.errors == []
    owners = {scope.rsplit("/", 1)[-1]: doc.resources[0].attrs["tags"]["owner"] for scope, doc in loaded.documents}
    assert owners["a"] == "team-a"
    assert isinstance(owners["b"], Unknown)


def test_duplicate_resource_is_an_error_naming_both_places() -> None:
    text = 'resource "aws_iam_role" "r" {\n  name = "a"\n}\nresource "aws_iam_role" "r" {\n  name = "b"\n}\n'
    doc = load_chunks([Chunk("main.tf", text)], {})
    assert [(e.file, e.line) for e in doc.errors] == [("main.tf", 4)]
    assert "first defined at main.tf:1" in doc.errors[0].message
    assert [r.attrs["name"] for r in doc.resources] == ["a"]
