"""yamldecode() as Terraform reads YAML (1.2 core schema), bounded on hostile documents, and
sensitive when its text is."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from scanner.api import ScanOptions, scan
from scanner.loaders.hcl_yaml import MAX_NODES, MAX_TEXT, TooLarge, yamldecode


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # YAML 1.1 (PyYAML's default) reads these as booleans, octal, base 60 and a date
        ("a: yes\nb: no\nc: on\nd: off\n", {"a": "yes", "b": "no", "c": "on", "d": "off"}),
        ("mode: 0755\n", {"mode": 755}),
        ("t: 1:30\n", {"t": "1:30"}),
        ("day: 2024-01-01\nat: 2024-01-01 10:00:00\n", {"day": "2024-01-01", "at": "2024-01-01 10:00:00"}),
        ("a: true\nb: False\nc: TRUE\n", {"a": True, "b": False, "c": True}),
        ("a: ~\nb: null\nc:\n", {"a": None, "b": None, "c": None}),
        ("a: 0o17\nb: 0x1F\nc: -3\nd: 1.5e3\ne: .5\n", {"a": 15, "b": 31, "c": -3, "d": 1500.0, "e": 0.5}),
        ('a: "yes"\nb: !!str 12\n', {"a": "yes", "b": "12"}),
        # keys are Terraform's strings; `1` and `true` stay two keys
        ("1: x\ntrue: y\n2.0: z\n", {"1": "x", "true": "y", "2": "z"}),
        ("base: &b {k: 1, j: 2}\nm:\n  <<: *b\n  j: 3\n", {"base": {"k": 1, "j": 2}, "m": {"k": 1, "j": 3}}),
        ("- a\n- [b, c]\n", ["a", ["b", "c"]]),
        ("s: !!set {b, a}\n", {"s": ["a", "b"]}),
        ("", None),
        ("plain text\n", "plain text"),
    ],
)
def test_yaml_is_read_as_terraform_reads_it(text: str, value: object) -> None:
    assert yamldecode(text) == value


def test_infinity_and_nan() -> None:
    got = yamldecode("a: .inf\nb: -.Inf\nc: .nan\n")
    assert got["a"] == math.inf and got["b"] == -math.inf and math.isnan(got["c"])


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n---\nb: 2\n",  # several documents
        "!!python/object/apply:os.system ['true']\n",  # no Python objects
        "a: [unclosed\n",
        "a: !!binary aGk=\n",
        "? [a, b]\n: 1\n",  # a key that is not a scalar
        "a: *nowhere\n",
    ],
)
def test_what_terraform_refuses_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        yamldecode(text)


def test_alias_expansion_is_bounded() -> None:
    """Nine levels of ten aliases each are 10^9 nodes once expanded (a billion laughs)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    started = time.process_time()
    with pytest.raises(TooLarge, match=f"more than {MAX_NODES} nodes"):
        yamldecode("\n".join(lines) + "\n")
    assert time.process_time() - started < 10


def test_document_over_the_size_limit_is_not_read() -> None:
    with pytest.raises(TooLarge):
        yamldecode("a: b\n" * (MAX_TEXT // 5 + 1))


def _scan(tmp_path: Path, main: str, files: dict[str, str]) -> dict[str, object]:
    (tmp_path / "main.tf").write_text(main, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions()).report
    return json.loads(report.model_dump_json())


def test_an_unreadable_document_is_an_error_that_try_catches(tmp_path: Path) -> None:
    got = _scan(tmp_path, """
provider "aws" {}
resource "aws_iam_user" "u" {
  name = "u"
  tags = try(yamldecode(file("${path.module}/tags.yaml")), { owner = "fallback" })
}
""", {"tags.yaml": "owner: [unclosed\n"})
    assert [(i["resource"], i["owner"]) for i in got["inventory"]] == [("aws_iam_user.u", "fallback")]


def test_yaml_from_a_secret_stays_secret(tmp_path: Path) -> None:
    got = _scan(tmp_path, """
provider "aws" {}
variable "doc" {
  type      = string
  sensitive = true
  default   = "owner: hunter2-owner-Zq9\\nkey: AKIAZZZZZZZZZZZZZZZZ\\n"
}
resource "aws_iam_user" "u" {
  name = "u"
  tags = yamldecode(var.doc)
}
""", {})
    text = json.dumps(got)
    assert "hunter2" not in text.lower() and "akiazzz" not in text.lower()
    assert [i["resource"] for i in got["inventory"]] == ["aws_iam_user.u"]
