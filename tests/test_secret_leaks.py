"""Property test: a secret planted anywhere in the input never reaches any output.

Random printable values (length >= 8) are planted in HCL literals of credential attributes,
in variable defaults that feed them, in sensitive variables, in outputs, in plan ``after`` and
``before`` values marked sensitive, in provider credentials, in Markdown chat answers and in
Terraform JSON, and in input that does not parse. No output may contain them: text, JSON,
SARIF and Markdown reports (findings, inventory, errors, summaries), and the ``--debug`` run.

A value that also appears when a different secret is planted (``aws_iam_`` is part of every
address) is not a leak, so such values are skipped; so is a word of the rules' own text
(``identity``, ``expired``), which is masked only where a whole value equals it, so that rule text
is never altered (docs/security.md).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TODAY
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import scanner.pipeline.checking
from scanner import PACKAGE_DIR
from scanner.api import ScanOptions, scan
from scanner.integrations.action.commands import annotation_commands
from scanner.integrations.action.summary import SummaryInput, comment_body, job_summary
from scanner.integrations.cli import main
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown
from scanner.policy.config import Config
from scanner.policy.redact import is_rule_text
from scanner.reporters import FORMATS as ALL_FORMATS
from scanner.reporters import get_reporter
from scanner.rules import Context, Rule, Violation

FORMATS = ALL_FORMATS  # every report format, new ones too
PLACEHOLDER = "Zq9PLACEHOLDERx7Kw"

#: printable: letters, digits, punctuation, symbols and spaces, never at either end
SECRETS = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=8, max_size=24
).filter(lambda s: s == s.strip() and sum(c.isalnum() for c in s) >= 3)


def hcl_string(value: str) -> str:
    """A native HCL quoted string holding exactly ``value``."""
    # a literal `${` as an escape: python-hcl2 rejects `"$${"` when no `}` follows
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\u0024{").replace("%{", "\\u0025{")
    return f'"{escaped}"'


# --------------------------------------------------------------------------- where secrets are planted

q = hcl_string

#: each takes the raw secret
HCL_CASES: dict[str, Callable[[str], str]] = {
    "literal password": lambda s: f'resource "aws_db_instance" "db" {{\n  identifier = "db"\n  password = {q(s)}\n}}\n',
    "secret_string": lambda s: (
        f'resource "aws_secretsmanager_secret_version" "v" {{\n  secret_id = "db"\n  secret_string = {q(s)}\n}}\n'
    ),
    "jsonencode'd secret": lambda s: (
        'resource "aws_secretsmanager_secret_version" "v" {\n  secret_id = "db"\n'
        f'  secret_string = jsonencode({{ username = "app", password = {q(s)} }})\n}}\n'
    ),
    "kubernetes data": lambda s: (
        'resource "kubernetes_secret_v1" "s" {\n  metadata {\n    name = "s"\n  }\n'
        f"  data = {{\n    token = {q(s)}\n  }}\n}}\n"
    ),
    "provider credentials": lambda s: (
        f'provider "aws" {{\n  region = "eu-west-1"\n  access_key = "AKIAIOSFODNN7EXAMPLE"\n  secret_key = {q(s)}\n}}\n'
        'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'
    ),
    "variable default": lambda s: (
        f'variable "db_password" {{\n  default = {q(s)}\n}}\n'
        'resource "aws_db_instance" "db" {\n  identifier = "db"\n  password = var.db_password\n}\n'
        'output "pw" {\n  value = aws_db_instance.db.password\n}\n'
    ),
    "sensitive variable in tags": lambda s: (
        f'variable "owner" {{\n  default = {q(s)}\n  sensitive = true\n}}\n'
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = var.owner, approved_by = var.owner }\n}\n'
    ),
    "sensitive output": lambda s: f'output "token" {{\n  value = {q(s)}\n  sensitive = true\n}}\n',
    "credential output": lambda s: (
        f'resource "github_actions_secret" "s" {{\n  repository = "r"\n  secret_name = "T"\n'
        f"  plaintext_value = {q(s)}\n}}\n"
        'output "leaky" {\n  value = github_actions_secret.s.plaintext_value\n}\n'
    ),
    "heredoc": lambda s: (
        'resource "aws_secretsmanager_secret_version" "v" {\n  secret_id = "db"\n'
        "  secret_string = <<EOT\n" + s.replace("${", "$${").replace("%{", "%%{") + "\nEOT\n}\n"
    ),
    "pgp key of an access key": lambda s: (
        f'resource "aws_iam_access_key" "k" {{\n  user = "ci"\n  pgp_key = {q(s)}\n}}\n'
        'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n'
    ),
}

#: input that does not parse, with the secret next to the error
BROKEN_HCL: dict[str, Callable[[str], str]] = {
    "unterminated": lambda s: f'resource "aws_db_instance" "db" {{\n  password = {q(s)}\n',
    "unquoted": lambda s: f'resource "aws_db_instance" "db" {{\n  password = {s}\n}}\n',
    "after a good block": lambda s: f'resource "aws_iam_user" "u" {{\n  name = "u"\n}}\n\n  token = {q(s)}\n}}\n',
}


def _after_case(secret: str) -> dict[str, Any]:
    return {
        "address": "aws_secretsmanager_secret_version.v",
        "mode": "managed",
        "type": "aws_secretsmanager_secret_version",
        "name": "v",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"secret_id": "db", "secret_string": secret},
            "after_unknown": {"id": True},
            "after_sensitive": {"secret_string": True},
        },
    }


def _sensitive_tag_case(secret: str) -> dict[str, Any]:
    tags = {"owner": secret, "approved_by": secret, "ticket": secret}
    return {
        "address": "aws_iam_user.u",
        "mode": "managed",
        "type": "aws_iam_user",
        "name": "u",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"name": "u", "tags": tags, "tags_all": tags},
            "after_unknown": {},
            "after_sensitive": {"tags": {"owner": True, "approved_by": True, "ticket": True}, "tags_all": True},
        },
    }


def _before_case(secret: str) -> dict[str, Any]:
    return {
        "address": "aws_db_instance.db",
        "mode": "managed",
        "type": "aws_db_instance",
        "name": "db",
        "change": {
            "actions": ["update"],
            "before": {"identifier": "db", "password": secret, "tags": {"note": secret}},
            "after": {"identifier": "db", "password": "new-Passw0rd-value", "tags": {}},
            "after_unknown": {},
            "before_sensitive": {"password": True, "tags": {"note": True}},
            "after_sensitive": {"password": True},
        },
    }


def _unmarked_credential_case(secret: str) -> dict[str, Any]:  # format 0.1: no *_sensitive at all
    return {
        "address": "aws_iam_access_key.k",
        "mode": "managed",
        "type": "aws_iam_access_key",
        "name": "k",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"user": "ci", "pgp_key": secret},
            "after_unknown": {},
        },
    }


def _deleted_gate_case(secret: str) -> dict[str, Any]:  # judged by NHI_SOD_051, outside the model
    return {
        "address": "github_repository_environment.production",
        "mode": "managed",
        "type": "github_repository_environment",
        "name": "production",
        "change": {
            "actions": ["delete"],
            "before": {"repository": secret, "environment": "production", "reviewers": [{"users": [secret]}]},
            "after": None,
            "before_sensitive": {"repository": True, "reviewers": [{"users": [True]}]},
            "after_sensitive": False,
        },
    }


PLAN_CASES: dict[str, Callable[[str], dict[str, Any]]] = {
    "deleted gate": lambda s: {"resource_changes": [_deleted_gate_case(s)]},
    "after_sensitive": lambda s: {"resource_changes": [_after_case(s)]},
    "sensitive tags": lambda s: {"resource_changes": [_sensitive_tag_case(s)]},
    "before_sensitive": lambda s: {"resource_changes": [_before_case(s)]},
    "unmarked credential": lambda s: {"format_version": "0.1", "resource_changes": [_unmarked_credential_case(s)]},
    "sensitive output": lambda s: {
        "resource_changes": [],
        "output_changes": {
            "token": {
                "actions": ["create"],
                "before": None,
                "after": {"value": s, "n": [s]},
                "after_unknown": False,
                "before_sensitive": False,
                "after_sensitive": True,
            }
        },
    },
    "provider config": lambda s: {
        "resource_changes": [],
        "configuration": {
            "provider_config": {
                "vault": {
                    "name": "vault",
                    "expressions": {"address": {"constant_value": "https://vault"}, "token": {"constant_value": s}},
                }
            }
        },
    },
}


def _plan(body: dict[str, Any]) -> str:
    return json.dumps({"format_version": "1.2", "terraform_version": "1.9.5", "planned_values": {}, **body}, indent=2)


def _inputs(case: str, secret: str) -> dict[str, str]:
    """File name -> content for one case; the secret as raw text, escaped as the format needs."""
    kind, name = case.split(":", 1)
    if kind == "hcl":
        return {"main.tf": HCL_CASES[name](secret)}
    if kind == "markdown":
        body = HCL_CASES[name](secret)
        return {"answer.md": f"Sure! Here is the Terraform:\n\n```hcl\n{body}```\n\nApply it with `terraform apply`.\n"}
    if kind == "broken":
        return {"main.tf": BROKEN_HCL[name](secret)}
    if kind == "plan":
        return {"plan.json": _plan(PLAN_CASES[name](secret))}
    if kind == "broken-plan":
        text = _plan(PLAN_CASES[name](secret))
        return {"plan.json": text[: text.index(json.dumps(secret)[1:-1]) + len(json.dumps(secret)) - 2]}
    raise AssertionError(case)


CASES = (
    [f"hcl:{n}" for n in HCL_CASES]
    + [f"markdown:{n}" for n in HCL_CASES]
    + [f"broken:{n}" for n in BROKEN_HCL]
    + [f"plan:{n}" for n in PLAN_CASES]
    + [f"broken-plan:{n}" for n in ("after_sensitive", "sensitive output")]
)


# --------------------------------------------------------------------------- rendering and searching

_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>|~&])")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _views(fmt: str, text: str) -> list[str]:
    """The output as written, plus the forms a value takes in it (JSON-decoded, Markdown-unescaped)."""
    views = [text]
    if fmt in ("json", "sarif", "gitlab"):
        views.append("\n".join(_strings(json.loads(text))))
    if fmt == "junit":
        views.append(html.unescape(text))
    if fmt == "markdown":
        views.append(" ".join(_MD_ESCAPE.sub(r"\1", text).split()))
    return views


def _variants(secret: str) -> set[str]:
    """The secret, and the forms the outputs could write it in."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], " ".join(secret.split())}


def _render(directory: Path, case: str, secret: str) -> dict[str, str]:
    files = _inputs(case, secret)
    whole_directory = case.split(":")[0] in ("hcl", "broken")
    return _render_files(directory, files, whole_directory, clean=not case.startswith("broken"))


def _render_files(directory: Path, files: dict[str, str], whole_directory: bool, clean: bool = True) -> dict[str, str]:
    for old in directory.iterdir():
        old.unlink()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    target = str(directory) if whole_directory else str(directory / next(iter(files)))
    report = scan([target], ScanOptions(config=Config(), today=TODAY)).report
    if clean:
        assert report.errors == [], f"the planted input should load cleanly: {report.errors}"
    out = {fmt: get_reporter(fmt)(report, False) for fmt in FORMATS}
    out["annotations"] = "\n".join(annotation_commands(report.findings, str(directory))[0])
    summary = SummaryInput(report=report, fail_on=None, pr_author="someone")
    out["job summary"] = job_summary(summary)
    out["comment"] = comment_body(summary, None)
    debug = CliRunner().invoke(main, ["scan", target, "--debug", "--format", "json"])
    assert debug.exception is None or isinstance(debug.exception, SystemExit), debug.exception
    out["--debug"] = debug.stdout
    out["--debug stderr"] = debug.stderr
    return out


_FORMAT_OF = {"--debug": "json", "--debug stderr": "text", "job summary": "markdown", "comment": "markdown"}


#: nhi-guard's own status words, which a secret can break a parse to bring out: a secret `mplete s`
#: made the scan incomplete, and "incomplete scan" is not the secret shown
_STATUS = ("incomplete scan", "scan complete")


def _in_own_status(secret: str) -> bool:
    return any(secret.lower() in phrase for phrase in _STATUS)


def _leaks(outputs: dict[str, str], secret: str, derived: bool = False) -> list[str]:
    """Where the outputs show ``secret`` (and, with ``derived``, its upper, lower or base64 form)."""
    forms = {secret}
    if derived:
        forms |= {secret.upper(), secret.lower(), base64.b64encode(secret.encode("utf-8")).decode("ascii")}
    found = []
    for fmt, text in outputs.items():
        for view in _views(_FORMAT_OF.get(fmt, fmt), text):
            for variant in {v for form in forms for v in _variants(form)}:
                if len(variant) >= 6 and variant in view:
                    found.append(f"{fmt}: {variant!r}")
    return found


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nhi-guard-leaks-") as d:
        yield Path(d)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=st.sampled_from(CASES), secret=SECRETS)
def test_planted_secrets_never_reach_any_output(workdir: Path, case: str, secret: str) -> None:
    assume(not is_rule_text(secret) and not _in_own_status(secret))
    baseline = _render(workdir, case, PLACEHOLDER)
    assume(not _leaks(baseline, secret))  # the value occurs in every scan of this input: it is not the secret's
    outputs = _render(workdir, case, secret)
    leaked = _leaks(outputs, secret)
    assert not leaked, f"{case} leaks the planted secret: {leaked}"


@pytest.mark.parametrize("case", CASES)
def test_each_case_masks_a_typical_secret(workdir: Path, case: str) -> None:
    """Every planting site, with a realistic value: the placeholder case loads and nothing leaks."""
    secret = "Pr0d-s3cr3t/with+symbols=="
    outputs = _render(workdir, case, secret)
    assert not _leaks(outputs, secret)


class LeakEverything(Rule):
    """A careless rule: every string of every resource (JSON decoded too) goes into its message."""

    id = "NHI_TST_998"
    category = Category.SECRET_EXPOSURE
    severity = Severity.LOW
    title = "leaks"
    fix = "do not"
    modes = ("managed", "data", "output", "provider")

    def check(self, res: Resource, ctx: Context) -> Iterator[Violation]:
        leaves = [s for s in _decoded(res.attrs) if isinstance(s, str)]
        yield Violation(f"{res.address}: " + " | ".join(leaves), key="leak")


class LeakDeleted(LeakEverything):
    """The same, over the objects a plan destroys (which only such rules see)."""

    id = "NHI_TST_997"
    judges_deletes = True


def _decoded(value: Any) -> Iterator[str]:
    for s in _strings(value if not isinstance(value, Unknown) else getattr(value, "value", None)):
        yield s
        if s.lstrip()[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                yield from _decoded(json.loads(s))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
@given(case=st.sampled_from([c for c in CASES if not c.startswith("broken")]), secret=SECRETS)
def test_redactor_masks_planted_secrets_even_when_a_rule_prints_them(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, case: str, secret: str
) -> None:
    rules = scanner.pipeline.checking.all_rules()
    monkeypatch.setattr(scanner.pipeline.checking, "all_rules", lambda: (*rules, LeakEverything(), LeakDeleted()))
    assume(not is_rule_text(secret) and not _in_own_status(secret))
    baseline = _render(workdir, case, PLACEHOLDER)
    assume(not _leaks(baseline, secret))
    outputs = _render(workdir, case, secret)
    assert "NHI_TST_998" in outputs["json"] or "NHI_TST_997" in outputs["json"]
    leaked = _leaks(outputs, secret)
    assert not leaked, f"{case}: the redactor let the planted secret through: {leaked}"


# --------------------------------------------------------------------------- functions and templates

#: one step of a chain: HCL that computes from ``X``; each keeps the whole secret in some form
STEPS = {
    "upper": "upper(X)",
    "lower": "lower(X)",
    "trimspace": "trimspace(X)",
    "replace": 'replace(X, "\\u0000", "")',
    "substr": "substr(X, 0, 100)",
    "format": 'format("<%s>", X)',
    "template": '"pre-${X}-post"',
    "join": 'join(" ", ["a", X])',
    "jsonencode": "jsonencode({ k = X })",
    "base64encode": "base64encode(X)",
    "tostring": "tostring(X)",
    "lookup": 'lookup({ k = X }, "k")',
    "element": 'element([X, "d"], 0)',
    "index": "[X][0]",
    "merge": "merge({ a = 1 }, { k = X }).k",
    "try": 'try(X, "d")',
    "coalesce": 'coalesce("", X)',
    "conditional": 'length(X) > 0 ? X : "d"',
    "concat": 'concat(["d"], [X])[1]',
    "sensitive": "sensitive(X)",
}
#: where the secret starts: a sensitive variable, the sensitive() function, a credential literal
SOURCES = {
    "sensitive variable": ("var.pw", 'variable "pw" {{\n  sensitive = true\n  default   = {secret}\n}}\n'),
    "sensitive()": ("sensitive({secret})", ""),
    "credential attribute": (
        "aws_db_instance.db.password",
        'resource "aws_db_instance" "db" {{\n  identifier = "db"\n  password   = {secret}\n}}\n',
    ),
}


def _chain_module(secret: str, source: str, steps: list[str]) -> str:
    start, prelude = SOURCES[source]
    expr = start.format(secret=hcl_string(secret))
    for step in steps:
        expr = STEPS[step].replace("X", expr)
    return prelude.format(secret=hcl_string(secret)) + f"""
locals {{
  derived = {expr}
  again   = "${{local.derived}}"
}}

resource "aws_iam_user" "u" {{
  name = "u"
  tags = {{ owner = local.derived, approved_by = local.again, note = {expr} }}
}}

resource "google_service_account" "sa" {{
  account_id  = "sa"
  description = "owner=${{local.derived}} approved_by=bob"
}}

output "derived" {{
  value = local.again
}}
"""


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    secret=SECRETS,
    source=st.sampled_from(sorted(SOURCES)),
    steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=4),
)
def test_secrets_through_random_function_chains_reach_no_output(
    workdir: Path, secret: str, source: str, steps: list[str]
) -> None:
    """A secret, through any chain of functions and templates, into tags, a description's key=value
    metadata and an output: no output holds it, nor its upper-case, lower-case or base64 form."""
    assume(not is_rule_text(secret) and not _in_own_status(secret))
    baseline = _render_files(workdir, {"main.tf": _chain_module(PLACEHOLDER, source, steps)}, True)
    assume(not _leaks(baseline, secret, derived=True))
    outputs = _render_files(workdir, {"main.tf": _chain_module(secret, source, steps)}, True)
    leaked = _leaks(outputs, secret, derived=True)
    assert not leaked, f"{source} through {' -> '.join(steps)} leaks: {leaked}"


# --------------------------------------------------------------------------- no network


_NETWORK_MODULES = re.compile(r"^\s*(?:import|from)\s+(socket|http\.client|urllib\.request|requests|httpx|ssl)\b", re.M)


def test_only_the_action_comment_step_can_reach_the_network() -> None:
    """The scanner never imports a network client; scanner/integrations/action/ posts the pull request comment."""
    root = PACKAGE_DIR
    offenders = [
        str(p.relative_to(root.parent))
        for p in root.rglob("*.py")
        if "action" not in p.relative_to(root).parts and _NETWORK_MODULES.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_scan_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nhi-guard tried to open a network connection")

    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    fixtures = PACKAGE_DIR.parent / "fixtures"
    paths = [p for p in sorted((fixtures / "hcl").iterdir()) if p.is_dir()]
    paths += sorted((fixtures / "plan").rglob("*.json")) + sorted((fixtures / "markdown").glob("*.md"))
    report = scan([str(p) for p in paths], ScanOptions(config=Config(), today=TODAY)).report
    assert report.findings
    for fmt in FORMATS:
        get_reporter(fmt)(report, False)
