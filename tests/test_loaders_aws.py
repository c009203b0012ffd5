"""Loader behaviour the AWS rules depend on."""

from __future__ import annotations

from pathlib import Path

from scanner.loaders.hcl import Chunk, load_chunks
from scanner.model.resource import Resource


def _load(tmp_path: Path, text: str) -> dict[str, Resource]:
    path = tmp_path / "main.tf"
    path.write_text(text, encoding="utf-8")
    doc = load_chunks([Chunk(str(path), text)], {str(path): text.splitlines()})
    assert doc.errors == []
    return {r.address: r for r in doc.resources}


def test_references_do_not_leak_from_the_referenced_block(tmp_path: Path) -> None:
    # The attachment is evaluated first and pulls in aws_iam_role.b, whose trust
    # policy references aws_iam_role.c. That reference is b's, not the attachment's.
    res = _load(
        tmp_path,
        """
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.b.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role" "b" {
  name = "b"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = aws_iam_role.c.arn } }]
  })
}

resource "aws_iam_role" "c" {
  name               = "c"
  assume_role_policy = "{}"
}
""",
    )
    assert res["aws_iam_role_policy_attachment.a"].refs == {"role": ["aws_iam_role.b", "aws_iam_role.b.name"]}
    assert res["aws_iam_role.b"].refs == {"assume_role_policy": ["aws_iam_role.c", "aws_iam_role.c.arn"]}


def test_policy_document_refs_do_not_depend_on_block_order(tmp_path: Path) -> None:
    # Whether the document is evaluated before or after the role, the role's
    # `assume_role_policy` references the document only, as in a plan's configuration.
    doc = """
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
  }
}
"""
    role = """
resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"""
    provider = """
resource "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
}
"""
    first = _load(tmp_path, doc + role + provider)["aws_iam_role.ci"].refs
    second = _load(tmp_path, role + doc + provider)["aws_iam_role.ci"].refs
    assert first == second
    assert set(first["assume_role_policy"]) == {
        "data.aws_iam_policy_document.trust",
        "data.aws_iam_policy_document.trust.json",
    }
