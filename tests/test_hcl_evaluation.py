"""How a directory of .tf files is evaluated as Terraform does: modules, count/for_each, tfvars,
root and reusable modules, file()/templatefile() (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, TODAY

from scanner.api import ScanError, ScanOptions, scan
from scanner.integrations.cli import main
from scanner.loaders.hcl import Chunk, load_chunks
from scanner.loaders.inputs import load_inputs
from scanner.model.resource import Resource
from scanner.model.values import MISSING, OpenMap, PartialJson, Unknown
from scanner.policy.config import Config

MODULES = FIXTURES / "hcl" / "eval_modules"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def resources(root: Path, **kwargs: object) -> dict[str, Resource]:
    loaded = load_inputs([str(root)], **kwargs)  # type: ignore[arg-type]
    assert loaded.errors == [] and all(doc.errors == [] for _, doc in loaded.documents), loaded
    return {r.address: r for _, doc in loaded.documents for r in doc.resources}


def findings(root: Path | str, **options: object) -> list[tuple[str, str]]:
    report = scan([str(root)], ScanOptions(config=Config(), today=TODAY, **options)).report  # type: ignore[arg-type]
    assert report.errors == [], report.errors
    return sorted((f.rule_id, f.resource) for f in report.findings)


# --- the issue's "done when" ------------------------------------------------------------------


def test_root_stack_is_reported_at_module_addresses_on_the_module_lines() -> None:
    report = scan([str(MODULES)], ScanOptions(today=TODAY)).report
    assert report.errors == []
    module_file = str(MODULES / "modules" / "user" / "main.tf")
    got = {(f.rule_id, f.resource, f.file, f.line) for f in report.findings}
    rel = os.path.relpath(module_file).replace(os.sep, "/")
    lines = (MODULES / "modules" / "user" / "main.tf").read_text(encoding="utf-8").splitlines()
    key_line = lines.index('resource "aws_iam_access_key" "this" {') + 3  # its `user` attribute
    user_line = lines.index('resource "aws_iam_user" "this" {') + 1
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]", rel, key_line) in got
    assert ("NHI_OWN_001", 'module.readers["alice"].aws_iam_user.this', rel, user_line) in got
    # the config waiver names one instance by its full address
    assert [(w.rule_id, w.resource, w.suppressed) for w in report.waivers] == [
        ("NHI_AWS_001", "module.deployers[0].aws_iam_access_key.this[0]", 1)
    ]
    # nothing from `module "off"` (count = 0) or `aws_iam_access_key.gone` (count = 0), and the
    # module directory is not also reported on its own (no address without module.)
    inventory = {i.resource for i in report.inventory}
    assert not any("module.off" in a or "gone" in a for a in inventory)
    assert not any(f.resource.startswith("aws_iam_user.") for f in report.findings)
    assert "module.deployers[1].aws_iam_user.this" in inventory
    assert "module.deployers[1].aws_iam_access_key.this[0]" not in inventory
    # each instance has its own fingerprint
    prints = [f.fingerprint for f in report.findings]
    assert len(prints) == len(set(prints))


def test_the_module_on_its_own_reports_no_missing_owner_for_caller_supplied_tags() -> None:
    assert findings(MODULES / "modules" / "user") == []


def test_the_same_stack_as_a_chat_answer_cannot_expand_local_modules() -> None:
    # nothing on disk belongs to an answer: its module calls are not followed, their outputs unknown
    text = (MODULES / "main.tf").read_text(encoding="utf-8")
    doc = load_chunks([Chunk("answer.md", text)], {})
    addresses = {r.address for r in doc.resources}
    assert not any(a.startswith("module.") for a in addresses)
    assert isinstance(next(r for r in doc.resources if r.address == "aws_iam_access_key.extra").attrs["user"], Unknown)


# --- count and for_each --------------------------------------------------------------------------


def test_count_and_for_each_instances_and_their_bindings(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {"main.tf": """
provider "aws" {}
variable "names" {}
locals { roles = { viewer = "roles/viewer", admin = "roles/iam.serviceAccountKeyAdmin" } }
resource "aws_iam_user" "u" {
  count = 2
  name  = "u-${count.index}"
}
resource "google_project_iam_member" "m" {
  for_each = local.roles
  role     = each.value
  member   = "user:${each.key}@example.com"
}
resource "aws_iam_user" "set" {
  for_each = toset(["b", "a", "b"])
  name     = each.value
}
resource "aws_iam_user" "zero" {
  count = 0
  name  = "zero"
}
resource "aws_iam_user" "empty" {
  for_each = {}
  name     = "empty"
}
resource "aws_iam_user" "unknown" {
  count = length(var.names)
  name  = "x-${count.index}"
}
resource "aws_iam_access_key" "k" {
  user = aws_iam_user.u[1].name
}
resource "aws_iam_group_membership" "g" {
  group = "g"
  users = aws_iam_user.u[*].name
}
resource "aws_iam_group_membership" "h" {
  group = "h"
  users = [for k, u in aws_iam_user.set : "${k}=${u.name}"]
}
"""}))
    assert res["aws_iam_user.u[0]"].attrs["name"] == "u-0"
    assert res["aws_iam_user.u[1]"].attrs["name"] == "u-1"
    assert res['google_project_iam_member.m["admin"]'].attrs["role"] == "roles/iam.serviceAccountKeyAdmin"
    assert res['google_project_iam_member.m["viewer"]'].attrs["member"] == "user:viewer@example.com"
    assert [a for a in res if a.startswith("aws_iam_user.set")] == ['aws_iam_user.set["a"]', 'aws_iam_user.set["b"]']
    assert not any(a.startswith(("aws_iam_user.zero", "aws_iam_user.empty")) for a in res)
    # unknown count: one instance without a key, count.index unknown
    assert isinstance(res["aws_iam_user.unknown"].attrs["name"], Unknown)
    # an instance's literal attribute, a splat and a for expression over instances
    key = res["aws_iam_access_key.k"]
    assert key.attrs["user"] == "u-1"
    assert key.refs["user"] == ["aws_iam_user.u", "aws_iam_user.u.name"]
    assert res["aws_iam_group_membership.g"].attrs["users"] == ["u-0", "u-1"]
    assert res["aws_iam_group_membership.h"].attrs["users"] == ["a=a", "b=b"]


def test_for_expressions_filters_grouping_and_unknowns(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {"main.tf": """
provider "aws" {}
variable "unknown" {}
locals {
  people = [{ name = "a", team = "x" }, { name = "b", team = "y" }, { name = "c", team = "x" }]
}
resource "null_resource" "r" {
  triggers = {
    upper   = join(",", [for p in local.people : upper(p.name) if p.team == "x"])
    grouped = jsonencode({ for p in local.people : p.team => p.name... })
    indexed = jsonencode([for i, p in local.people : i])
    unknown = [for x in var.unknown : x]
  }
}
"""}))
    triggers = res["null_resource.r"].attrs["triggers"]
    assert triggers["upper"] == "A,C"
    assert json.loads(triggers["grouped"]) == {"x": ["a", "c"], "y": ["b"]}
    assert json.loads(triggers["indexed"]) == [0, 1, 2]
    assert isinstance(triggers["unknown"], Unknown)


def test_binary_operators_after_a_line_break(tmp_path: Path) -> None:
    """The post-lexer merges the line break into the operator's token; it was read as no operator,
    so the value was unknown."""
    res = resources(write(tmp_path, {"main.tf": """
provider "aws" {}
resource "null_resource" "r" {
  triggers = {
    sum   = (1
      + 2)
    and   = (true
      && false)
    or    = (false
      || true)
    equal = (1
      == 1) ? "y" : "n"
    less  = (2
      <= 1)
  }
}
"""}))
    assert res["null_resource.r"].attrs["triggers"] == {"sum": 3, "and": False, "or": True, "equal": "y", "less": False}


def test_dynamic_block_over_a_set_keys_each_block_by_its_element(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {"main.tf": """
provider "aws" {}
variable "typed" {
  type    = set(string)
  default = ["b", "a", "b"]
}
resource "null_resource" "r" {
  dynamic "from_toset" {
    for_each = toset(["y", "x", "y"])
    content { key = from_toset.key }
  }
  dynamic "from_union" {
    for_each = setunion(["p"], ["q"])
    content { key = from_union.key }
  }
  dynamic "from_typed" {
    for_each = var.typed
    content { key = from_typed.key }
  }
  dynamic "from_list" {
    for_each = ["x", "y"]
    content { key = from_list.key }
  }
}
"""}))
    attrs = res["null_resource.r"].attrs
    assert [b["key"] for b in attrs["from_toset"]] == ["x", "y"]
    assert [b["key"] for b in attrs["from_union"]] == ["p", "q"]
    assert [b["key"] for b in attrs["from_typed"]] == ["a", "b"]  # each once, in lexical order
    assert [b["key"] for b in attrs["from_list"]] == [0, 1]  # a list's (tuple's) key is the index


def test_data_source_with_for_each_renders_each_policy(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {"main.tf": """
provider "aws" {}
locals { buckets = { logs = "s3:GetObject", admin = "s3:*" } }
data "aws_iam_policy_document" "p" {
  for_each = local.buckets
  statement {
    actions   = [each.value]
    resources = ["arn:aws:s3:::${each.key}/*"]
  }
}
resource "aws_iam_policy" "p" {
  for_each = local.buckets
  name     = each.key
  policy   = data.aws_iam_policy_document.p[each.key].json
}
"""}))
    assert json.loads(res['aws_iam_policy.p["admin"]'].attrs["policy"])["Statement"][0]["Action"] == ["s3:*"]
    assert json.loads(res['aws_iam_policy.p["logs"]'].attrs["policy"])["Statement"][0]["Action"] == ["s3:GetObject"]


# --- modules ---------------------------------------------------------------------------------------


def test_nested_modules_outputs_providers_and_references(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {
        "main.tf": """
provider "aws" {
  default_tags { tags = { owner = "team-root" } }
}
provider "aws" {
  alias = "us"
  default_tags { tags = { owner = "team-us" } }
}
module "a" {
  source = "./modules/a"
  prefix = "svc"
}
module "b" {
  source    = "./modules/a"
  for_each  = { x = "one", y = "two" }
  prefix    = each.value
  providers = { aws = aws.us }
}
resource "aws_iam_access_key" "k" {
  user = module.a.user_name
}
""",
        "modules/a/main.tf": """
variable "prefix" {}
module "inner" {
  source = "../inner"
  name   = "${var.prefix}-inner"
}
output "user_name" { value = module.inner.name }
""",
        "modules/inner/main.tf": """
variable "name" {}
resource "aws_iam_user" "this" { name = var.name }
output "name" { value = aws_iam_user.this.name }
""",
    }))
    user = res["module.a.module.inner.aws_iam_user.this"]
    assert user.attrs["name"] == "svc-inner"
    assert user.module == "module.a.module.inner"
    assert user.file == str(tmp_path / "modules/inner/main.tf")
    assert user.attrs["tags_all"] == {"owner": "team-root"}  # the root's default provider, inherited
    assert res['module.b["y"].module.inner.aws_iam_user.this'].attrs["name"] == "two-inner"
    assert res['module.b["x"].module.inner.aws_iam_user.this'].attrs["tags_all"] == {"owner": "team-us"}
    # an output flows back, with the references behind it (so the key finds its user)
    key = res["aws_iam_access_key.k"]
    assert key.attrs["user"] == "svc-inner"
    assert "module.a.module.inner.aws_iam_user.this" in key.refs["user"]
    # only the root's outputs are a plan's; a module's are named as Terraform does internally
    assert "module.a.output.user_name" in res


def test_installed_registry_module_is_expanded_from_modules_json(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": """
provider "aws" {}
module "iam" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-user"
  version = "5.0.0"
  name    = "vendor"
}
module "missing" {
  source = "git::https://example.com/m.git"
}
resource "aws_iam_user_policy" "p" {
  user   = module.missing.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
}
""",
        ".terraform/modules/iam/modules/iam-user/main.tf": """
variable "name" {}
resource "aws_iam_user" "this" { name = var.name }
resource "aws_iam_access_key" "this" { user = aws_iam_user.this.name }
""",
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "iam", "Source": "registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-user",
             "Version": "5.0.0", "Dir": ".terraform/modules/iam/modules/iam-user"},
        ]}),
    })
    res = resources(tmp_path)
    assert res["module.iam.aws_iam_user.this"].attrs["name"] == "vendor"
    assert "module.iam.aws_iam_access_key.this" in res
    # a remote module that is not installed: nothing expanded, its outputs unknown
    assert isinstance(res["aws_iam_user_policy.p"].attrs["user"], Unknown)
    assert not any(a.startswith("module.missing") for a in res)


def test_a_directory_called_by_another_is_reported_through_its_calls_only(tmp_path: Path) -> None:
    write(tmp_path, {
        "root/main.tf": 'provider "aws" {}\nmodule "m" {\n  source = "../shared"\n}\n',
        "shared/main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n',
        "lonely/main.tf": 'resource "aws_iam_user" "u" {\n  name = "lonely"\n}\n',
        "cycle_a/main.tf": 'module "b" {\n  source = "../cycle_b"\n}\nresource "aws_iam_user" "a" {\n  name = "a"\n}\n',
        "cycle_b/main.tf": 'module "a" {\n  source = "../cycle_a"\n}\nresource "aws_iam_user" "b" {\n  name = "b"\n}\n',
    })
    loaded = load_inputs([str(tmp_path)])
    scopes = {os.path.basename(scope): sorted(r.address for r in doc.resources if r.mode == "managed")
              for scope, doc in loaded.documents}
    assert scopes["root"] == ["module.m.aws_iam_user.u"]
    assert "shared" not in scopes
    assert scopes["lonely"] == ["aws_iam_user.u"]
    # a cycle of calls (an error in Terraform) keeps both on their own, and is reported once
    assert scopes["cycle_a"] == ["aws_iam_user.a", "module.b.aws_iam_user.b"]
    assert scopes["cycle_b"] == ["aws_iam_user.b", "module.a.aws_iam_user.a"]
    errors = sorted((os.path.basename(os.path.dirname(e.file)), e.line, e.message)
                    for _, doc in loaded.documents for e in doc.errors)
    assert errors == [
        ("cycle_a", 1, 'module "b" calls itself; it was not expanded again'),
        ("cycle_b", 1, 'module "a" calls itself; it was not expanded again'),
    ]
    # scanning the shared module alone still reports it on its own
    alone = load_inputs([str(tmp_path / "shared")])
    assert [r.address for _, d in alone.documents for r in d.resources] == ["aws_iam_user.u"]


def test_a_missing_local_module_is_an_error_naming_the_call(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'module "gone" {\n  source = "./nope"\n}\n\nmodule "empty" {\n  source = "./docs"\n}\n',
                     "docs/README.md": "not a module\n"})
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY))
    assert [(e.line, e.message) for e in report.report.errors] == [
        (1, 'module "gone": its source is not a directory'),
        (5, 'module "empty": its source holds no .tf files'),
    ]
    assert report.exit_code == 2


# --- variables ----------------------------------------------------------------------------------


def test_tfvars_precedence_and_command_line_values(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": """
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "n" { type = number }
variable "l" { type = list(string) }
variable "s" { type = string }
resource "null_resource" "r" {
  triggers = { a = var.a, b = var.b, c = var.c, d = var.d, n = var.n, l = jsonencode(var.l), s = var.s }
}
""",
        "terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
        "terraform.tfvars.json": '{"b": "tfvars.json", "c": "tfvars.json", "d": "tfvars.json"}',
        "z.auto.tfvars": 'c = "z.auto"\n',
        "a.auto.tfvars.json": '{"c": "a.auto.json", "d": "a.auto.json"}',
        "prod.tfvars": 'd = "prod"\n',  # not loaded by itself: only with --var-file
    })
    triggers = resources(tmp_path)["null_resource.r"].attrs["triggers"]
    assert {k: triggers[k] for k in "abcd"} == {"a": "tfvars", "b": "tfvars.json", "c": "z.auto", "d": "a.auto.json"}
    triggers = resources(
        tmp_path,
        var_files=[str(tmp_path / "prod.tfvars")],
        var_args=["n=3", 'l=["x", "y"]', "s=[not, hcl]", "a=from --var"],
    )["null_resource.r"].attrs["triggers"]
    assert triggers["d"] == "prod" and triggers["a"] == "from --var"
    assert triggers["n"] == 3 and json.loads(triggers["l"]) == ["x", "y"] and triggers["s"] == "[not, hcl]"


def test_a_bad_variables_file_is_an_error_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": 'variable "a" {}\nresource "aws_iam_user" "u" {\n  name = var.a\n}\n',
        "terraform.tfvars": 'a = "ok"\nb = [\n',
        "x.auto.tfvars.json": "[1]",
        "y.auto.tfvars.json": "{",
        "z.auto.tfvars": 'a = "z"\nresource "x" "y" {}\n',
    })
    loaded = load_inputs([str(tmp_path)])
    errors = [(os.path.basename(e.file), e.line, e.message) for _, d in loaded.documents for e in d.errors]
    assert errors == [
        ("terraform.tfvars", 2, "variables file: HCL syntax error: the file ends inside a value"),
        ("x.auto.tfvars.json", 1, "variables file: the JSON is not an object of variable values"),
        ("y.auto.tfvars.json", 1, "variables file: invalid JSON: Expecting property name enclosed in double quotes"),
        ("z.auto.tfvars", 2, "variables file: a block is not allowed here; only NAME = VALUE lines"),
    ]
    # the rest is still read and scanned
    (user,) = [r for _, d in loaded.documents for r in d.resources]
    assert user.attrs["name"] == "z"


def test_sensitive_value_from_tfvars_is_redacted_everywhere(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": """
variable "owner" {
  type      = string
  sensitive = true
}
resource "aws_iam_user" "u" {
  name = "u"
  tags = { owner = var.owner }
}
resource "aws_iam_access_key" "k" { user = aws_iam_user.u.name }
""",
        "terraform.tfvars": 'owner = "s3cr3t-owner-value"\n',
    })
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    assert "s3cr3t-owner-value" not in result.stdout
    owners = {i["resource"]: i["owner"] for i in json.loads(result.stdout)["inventory"]}
    assert owners["aws_iam_user.u"] == "***REDACTED***"
    # the same from --var
    (tmp_path / "terraform.tfvars").unlink()
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--var", "owner=v4r-0wner-s3cr3t"])
    assert result.exit_code == 1 and "v4r-0wner-s3cr3t" not in result.stdout
    owners = {i["resource"]: i["owner"] for i in json.loads(result.stdout)["inventory"]}
    assert owners["aws_iam_user.u"] == "***REDACTED***"


def test_cli_var_file_and_var(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": """
provider "aws" {}
variable "actions" {
  type    = list(string)  # so --var reads its value as HCL, not as text
  default = ["s3:GetObject"]
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }] })
}
""",
        "admin.tfvars": 'actions = ["*"]\n',
    })
    base = ["scan", str(tmp_path), "--format", "json"]
    assert CliRunner().invoke(main, base).exit_code == 0
    with_file = CliRunner().invoke(main, [*base, "--var-file", str(tmp_path / "admin.tfvars")])
    assert with_file.exit_code == 1
    assert [f["rule_id"] for f in json.loads(with_file.stdout)["findings"]] == ["NHI_AWS_010"]
    # --var after --var-file wins
    back = CliRunner().invoke(main, [*base, "--var-file", str(tmp_path / "admin.tfvars"),
                                     "--var", 'actions=["s3:GetObject"]'])
    assert back.exit_code == 0


@pytest.mark.parametrize("arg", ["no-equals-sign-hunter2", "1bad=x", "=x"])
def test_cli_bad_var_is_a_usage_error_that_does_not_echo_it(tmp_path: Path, arg: str) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" { name = "u" }\n'})
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--var", arg])
    assert result.exit_code == 2
    assert "expected NAME=VALUE" in result.stderr and arg not in result.stderr


@pytest.mark.parametrize("arg", ["no-equals-sign-hunter2", "1bad=x", "=x"])
def test_api_bad_var_is_a_scan_error_that_does_not_echo_it(tmp_path: Path, arg: str) -> None:
    """The Python API skipped it silently: the scan ran as if the variable had not been given."""
    write(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" { name = "u" }\n'})
    with pytest.raises(ScanError, match="expected NAME=VALUE") as raised:
        scan([str(tmp_path)], ScanOptions(var_args=["region=eu-west-1", arg]))
    assert str(raised.value).startswith("var_args (number 2): ") and arg not in str(raised.value)


#: a root module whose policy's actions come from a list variable (line 3)
ACTIONS_FROM_A_VARIABLE = """
provider "aws" {}
variable "actions" {
  type = list(string)
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }] })
}
"""


def test_cli_var_that_is_not_hcl_for_a_collection_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    # Terraform refuses `-var 'actions=["*"'`; taking it as unknown passed the scan in silence
    write(tmp_path, {
        "main.tf": ACTIONS_FROM_A_VARIABLE,
    })
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--var", 'actions=["*", "hunter2"'])
    assert result.exit_code == 2 and "hunter2" not in result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert [(os.path.basename(e["file"]), e["line"], e["message"]) for e in errors] == [
        ("main.tf", 3, "--var actions: the value is not an HCL expression, as a list variable needs")
    ]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("number", "hunter2", "--var n: the value is not a number, as a number variable needs"),
        ("bool", "yes-hunter2", "--var n: the value is not true or false, as a bool variable needs"),
    ],
)
def test_cli_var_that_is_not_of_a_primitive_type_is_an_error(
    tmp_path: Path, kind: str, value: str, message: str
) -> None:
    # Terraform refuses `-var n=hunter2` for a number ("a number is required"); it was kept as text
    write(tmp_path, {"main.tf": f'variable "n" {{\n  type = {kind}\n}}\nresource "aws_iam_user" "u" {{\n'
                                 '  name = "u"\n  tags = { n = var.n }\n}\n'})  # fmt: skip
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--var", f"n={value}"])
    assert result.exit_code == 2 and "hunter2" not in result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert [(os.path.basename(e["file"]), e["line"], e["message"]) for e in errors] == [("main.tf", 1, message)]
    for good in ("1", "true") if kind == "bool" else ("3", "2.5"):
        assert CliRunner().invoke(main, ["scan", str(tmp_path), "--var", f"n={good}"]).exit_code != 2


def test_a_reference_in_a_variables_file_or_var_is_an_error_that_does_not_echo_it(tmp_path: Path) -> None:
    # Terraform refuses `actions = [var.x]` in a variables file, and `-var 'actions=[hunter2]'` (quotes
    # forgotten): "Variables not allowed". nhi-guard took the value as unknown and said "scan complete"
    # while the admin grant the value was meant to raise went unreported.
    write(tmp_path, {
        "main.tf": ACTIONS_FROM_A_VARIABLE,
        "terraform.tfvars": 'actions = [hunter2]\n',
    })
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2 and "hunter2" not in result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert [(os.path.basename(e["file"]), e["line"], e["message"]) for e in errors] == [
        ("terraform.tfvars", 1, "variables file: the value of actions is not a literal value; only literal values "
                                'are allowed here, as in Terraform ("Variables not allowed")')
    ]
    (tmp_path / "terraform.tfvars").unlink()
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "--var", "actions=[hunter2]"])
    assert result.exit_code == 2 and "hunter2" not in result.stdout + result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert [(os.path.basename(e["file"]), e["line"], e["message"]) for e in errors] == [
        ("main.tf", 3, "--var actions: the value is not a literal value; only literal values are allowed here, "
                       'as in Terraform ("Variables not allowed")')
    ]


def test_a_function_call_in_a_variables_file_is_an_error(tmp_path: Path) -> None:
    # Terraform refuses it ("Functions may not be called here"); the value is still judged
    write(tmp_path, {
        "main.tf": ACTIONS_FROM_A_VARIABLE,
        "terraform.tfvars": 'actions = concat(["*"], [])\n',
    })  # fmt: skip
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    assert [(os.path.basename(e["file"]), e["line"], e["message"]) for e in data["errors"]] == [
        ("terraform.tfvars", 1, "variables file: the value of actions is not a literal value; only literal values "
                                'are allowed here, as in Terraform ("Functions may not be called here")')
    ]
    assert "NHI_AWS_010" in {f["rule_id"] for f in data["findings"]}


def test_cli_missing_var_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--var-file", str(tmp_path / "nope.tfvars")])
    assert result.exit_code == 2 and "nope.tfvars" in result.stderr


# --- reusable and root modules -----------------------------------------------------------------


def test_reusable_module_defaults(tmp_path: Path) -> None:
    files = {"main.tf": """
variable "tags" { default = {} }
variable "list" { default = [] }
variable "text" { default = "" }
variable "nothing" { default = null }
variable "risky" { default = ["*"] }
resource "aws_iam_role" "r" {
  name        = "r"
  tags        = merge(var.tags, { Name = "r" })
  description = var.text
  triggers    = concat(var.list, ["x"])
  other       = var.nothing
  actions     = var.risky
}
"""}
    role = resources(write(tmp_path / "reusable", files))["aws_iam_role.r"]
    assert isinstance(role.attrs["tags"], OpenMap) and role.attrs["tags"] == {"Name": "r"}
    assert role.attrs["description"] == "" and isinstance(role.get("other"), Unknown)
    assert role.attrs["actions"] == ["*"]
    # the same module with a provider block is a root module: its defaults are final
    files["main.tf"] += 'provider "aws" {}\n'
    role = resources(write(tmp_path / "root", files))["aws_iam_role.r"]
    assert type(role.attrs["tags"]) is dict
    assert role.get("other") is MISSING  # a root's null default is final: null


@pytest.mark.parametrize("marker", ['terraform {\n  backend "s3" {}\n}\n', 'terraform {\n  cloud {}\n}\n', None])
def test_root_markers(tmp_path: Path, marker: str | None) -> None:
    files = {"main.tf": (marker or "") + 'variable "tags" { default = {} }\nresource "aws_iam_user" "u" {\n'
                                         '  name = "u"\n  tags = var.tags\n}\n'}
    if marker is None:
        files["env.tfvars"] = ""  # any variables file marks a root module, even one Terraform does not load
    assert findings(write(tmp_path, files)) == [
        ("NHI_APR_001", "aws_iam_user.u"), ("NHI_APR_002", "aws_iam_user.u"), ("NHI_OWN_001", "aws_iam_user.u"),
    ]


# --- files ---------------------------------------------------------------------------------------


def test_file_functions_stay_inside_the_module(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"Statement": []}', encoding="utf-8")
    write(tmp_path, {
        "mod/main.tf": """
resource "aws_iam_policy" "a" { policy = file("../secret.json") }
resource "aws_iam_policy" "b" { policy = file("/etc/hostname") }
resource "aws_iam_policy" "c" { policy = file("${path.module}/missing.json") }
resource "aws_iam_policy" "d" { policy = file("p.json") }
resource "aws_iam_policy" "e" { policy = templatefile("p.tpl", { action = "s3:*", arn = var.arn }) }
resource "aws_iam_policy" "f" { policy = templatefile("loop.tpl", { actions = ["a"] }) }
resource "null_resource" "g" { triggers = { there = fileexists("p.json"), gone = fileexists("x.json") } }
variable "arn" {}
""",
        "mod/p.json": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        "mod/p.tpl": '{"Statement": [{"Action": "${action}", "Resource": "${arn}", "Sid": "${upper("x")}"}]}',
        "mod/loop.tpl": '{"Action": [%{ for a in actions }"${a}"%{ endfor }]}',
    })
    res = resources(tmp_path / "mod")
    for name in "abcf":
        assert isinstance(res[f"aws_iam_policy.{name}"].attrs["policy"], Unknown), name
    assert json.loads(res["aws_iam_policy.d"].attrs["policy"])["Statement"][0]["Action"] == "*"
    templated = res["aws_iam_policy.e"].attrs["policy"]
    assert isinstance(templated, PartialJson)
    statement = templated.value["Statement"][0]
    assert statement["Action"] == "s3:*" and statement["Sid"] == "X" and isinstance(statement["Resource"], Unknown)
    assert res["null_resource.g"].attrs["triggers"] == {"there": True, "gone": False}


def test_module_cache_and_report_cache_see_a_changed_called_module(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MODULES, tree)
    options = {"cache_dir": str(tmp_path / "cache")}
    first = findings(tree, **options)
    assert first == findings(tree, **options) == findings(tree)
    # the called module is outside nothing, but its change must not be hidden by either cache
    module = tree / "modules" / "user" / "main.tf"
    module.write_text(module.read_text(encoding="utf-8").replace("count = var.create_access_key ? 1 : 0",
                                                                 "count = 0"), encoding="utf-8")
    after = findings(tree, **options)
    assert after == findings(tree)
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]") in first
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]") not in after


# --- parsing -----------------------------------------------------------------------------------


def test_expressions_go_on_across_lines_inside_brackets() -> None:
    text = """
locals { m = { k = "v" } }
resource "null_resource" "r" {
  triggers = {
    call = join(",", [
      lower
      ("A"),
      upper(
        "b"
      ),
    ])
    chained = (
      local
      .m
      ["k"]
    )
    lists = jsonencode([
      [1, 2],
      [3],
    ])
  }
}
"""
    doc = load_chunks([Chunk("main.tf", text)], {})
    assert doc.errors == []
    assert doc.resources[0].attrs["triggers"] == {"call": "a,B", "chained": "v", "lists": "[[1,2],[3]]"}


@pytest.mark.parametrize("text", ['a = lower\n("X")\n', 'a = local.m\n.k\n'])
def test_outside_brackets_a_newline_still_ends_the_attribute(text: str) -> None:
    doc = load_chunks([Chunk("main.tf", 'resource "x" "y" {\n' + text + "}\n")], {})
    assert [e.message.split(":")[0] for e in doc.errors] == ["HCL syntax error"]


def test_a_risky_value_points_at_where_it_was_written() -> None:
    # a reusable module's default: the finding stays on the resource (waivers, fingerprints) and
    # names the default as where its value comes from
    case = FIXTURES / "hcl" / "eval_reusable_module"
    report = scan([str(case)], ScanOptions(config=Config(), today=TODAY)).report
    (finding,) = report.findings
    lines = (case / "main.tf").read_text(encoding="utf-8").splitlines()
    default_line = lines.index('  default = ["*"]') + 1
    assert [(r.line, r.message) for r in finding.related if r.message.startswith("the value")] == [
        (default_line, "the value comes from the default of var.actions, which every caller that does not set it gets")
    ]
    # through a module call: the caller's argument and the root's variables file
    report = scan([str(MODULES)], ScanOptions(today=TODAY)).report
    finding = next(f for f in report.findings if f.resource == 'module.readers["alice"].aws_iam_user_policy.this')
    root = (MODULES / "main.tf").read_text(encoding="utf-8").splitlines()
    assert sorted((os.path.basename(r.file), r.line, r.message) for r in finding.related
                  if r.message.startswith("the value")) == [
        ("main.tf", root.index("  actions  = concat([\"s3:GetObject\"], var.extra_actions)") + 1,
         'the value comes from the argument actions of module "readers"'),
        ("terraform.tfvars", 1, "the value comes from extra_actions in terraform.tfvars"),
    ]


def test_terraform_json_module_calls_backend_and_provider_maps(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf.json": json.dumps({
            "terraform": {"backend": {"s3": {"bucket": "b"}}},
            "provider": {"aws": [{"alias": "us", "default_tags": {"tags": {"owner": "team-us"}}}]},
            "variable": {"tags": {"default": {}}},
            "module": {"u": {"source": "./m", "name": "ci", "tags": "${var.tags}", "providers": {"aws": "aws.us"}}},
        }, indent=1),
        "m/main.tf": 'variable "name" {}\nvariable "tags" {}\nresource "aws_iam_user" "u" {\n'
                     "  name = var.name\n  tags = var.tags\n}\n",
    })
    user = resources(tmp_path)["module.u.aws_iam_user.u"]
    assert user.attrs["name"] == "ci"
    # a backend makes the directory a root module: the empty default is final, not open
    assert type(user.attrs["tags"]) is dict
    assert user.attrs["tags_all"] == {"owner": "team-us"}


def test_hcl_addresses_are_the_plans() -> None:
    # the same configuration, as .tf files and as `terraform show -json` of its plan
    hcl = findings(FIXTURES / "hcl" / "eval_plan_twin")
    plan = findings(FIXTURES / "plan" / "aws_iam_count.json")
    assert hcl == plan
    assert ("NHI_AWS_001", "aws_iam_access_key.service[1]") in hcl


def test_an_overlay_of_a_called_module_is_what_the_caller_expands(tmp_path: Path) -> None:
    # a coding agent's proposed write to a module file: the root that calls it sees the new text
    tree = tmp_path / "tree"
    shutil.copytree(MODULES, tree)
    module = tree / "modules" / "user" / "main.tf"
    proposed = module.read_text(encoding="utf-8").replace("count = var.create_access_key ? 1 : 0", "count = 0")
    before = findings(tree)
    after = findings(tree, overlays={str(module): proposed})
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]") in before
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]") not in after
    # a new file proposed in the module directory joins that module
    added = findings(tree, overlays={str(module.parent / "extra.tf"): 'resource "aws_iam_access_key" "more" {\n'
                                                                        "  user = aws_iam_user.this.name\n}\n"})
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.more") in added


def test_declared_types_errors_and_short_circuits(tmp_path: Path) -> None:
    res = resources(write(tmp_path, {"main.tf": """
provider "google" {}
variable "sa" {
  type = object({
    auto_create = optional(bool, false)
    email       = optional(string)
    nested      = optional(object({ a = optional(number, 3) }), {})
  })
  default = {}
}
variable "count_text" {
  type    = number
  default = "2"
}
variable "unknown" {}
variable "cfg" { default = null }
resource "google_service_account" "made" {
  count      = try(var.sa.auto_create, null) == true ? 1 : 0
  account_id = "made"
}
resource "google_service_account" "n" {
  count      = var.count_text
  account_id = "n-${count.index}"
}
resource "google_service_account" "off" {
  count      = false && var.unknown ? 1 : 0
  account_id = "off"
}
resource "google_service_account" "on" {
  count      = true || var.unknown ? 1 : 0
  account_id = "on"
}
resource "null_resource" "r" {
  triggers = {
    email_is_null = var.sa.email == null
    nested        = var.sa.nested.a
    try_missing   = try(var.sa.nope, "fallback")
    try_null      = try(local.none.x, null)
    can_missing   = can(var.sa.nope)
    can_present   = can(var.sa.email)
    try_unknown   = try(var.unknown.x, "fallback")
    lookup_absent = try(lookup({ a = 1 }, "b"), "no key")
  }
}
locals { none = null }
"""}))
    assert not any(a.startswith("google_service_account.made") for a in res)
    assert [a for a in res if a.startswith("google_service_account.n")] == [
        "google_service_account.n[0]", "google_service_account.n[1]"]
    assert "google_service_account.on[0]" in res and not any(a.startswith("google_service_account.off") for a in res)
    triggers = res["null_resource.r"].attrs["triggers"]
    assert {k: v for k, v in triggers.items() if k != "try_unknown"} == {
        "email_is_null": True, "nested": 3, "try_missing": "fallback", "try_null": None,
        "can_missing": False, "can_present": True, "lookup_absent": "no key",
    }
    assert isinstance(triggers["try_unknown"], Unknown)


def test_references_and_unknown_shapes_stay_small_through_chains_of_locals() -> None:
    # each local reads the one before in a `for` over 20 items: references recorded per use
    # would multiply by 20 at every level (20**12 here); an unknown used twice in a template
    # would double its shape at every level
    lines = ['variable "u" {}', "locals {", "  l0 = { a = aws_iam_user.u.arn }", '  s0 = "${var.u}"']
    for i in range(1, 13):
        lines.append(f"  l{i} = {{ for k in range(20) : k => local.l{i - 1} }}")
        lines.append(f'  s{i} = "${{local.s{i - 1}}}-${{local.s{i - 1}}}"')
    lines += ["}", 'resource "aws_iam_user" "u" { name = "u" }',
              'resource "null_resource" "r" {\n  triggers = { a = jsonencode(local.l12), s = local.s12 }\n}']
    doc = load_chunks([Chunk("main.tf", "\n".join(lines) + "\n")], {})
    (r,) = [r for r in doc.resources if r.address == "null_resource.r"]
    assert r.refs["triggers"] == ["aws_iam_user.u", "aws_iam_user.u.arn"]
    shape = r.attrs["triggers"]["s"]
    assert isinstance(shape, Unknown) and len(shape.source) <= 1000


def test_an_inline_waiver_in_a_module_block_covers_that_blocks_instances(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MODULES, tree)
    module = tree / "modules" / "user" / "main.tf"
    text = module.read_text(encoding="utf-8").replace(
        'resource "aws_iam_access_key" "this" {\n',
        'resource "aws_iam_access_key" "this" {\n'
        '  # nhi-guard:ignore NHI_AWS_001 reason="keys rotate in the vault" owner=team-ci expires=2027-01-31\n',
    )
    module.write_text(text, encoding="utf-8")
    report = scan([str(tree)], ScanOptions(today=TODAY)).report
    assert ("NHI_AWS_001", "module.ci.aws_iam_access_key.this[0]") not in {(f.rule_id, f.resource)
                                                                          for f in report.findings}
    # the root's own key is another block: not waived
    assert ("NHI_AWS_001", "aws_iam_access_key.extra") in {(f.rule_id, f.resource) for f in report.findings}
    # one inline waiver entry per module instance path of the block (module.deployers[0] and [1]
    # share one: its address has no instance keys), each counting what it suppressed
    assert sorted((w.rule_id, w.resource, w.suppressed) for w in report.waivers) == [
        ("NHI_AWS_001", "module.ci.aws_iam_access_key.this", 1),
        ("NHI_AWS_001", "module.deployers.aws_iam_access_key.this", 1),
    ]
