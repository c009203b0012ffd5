"""scanner.iam.policy_grammar: every policy shape parses to the same statements, unknowns stay conservative."""

from __future__ import annotations

import json

import pytest

from scanner.iam.policy_document import render
from scanner.iam.policy_grammar import (
    ANYONE,
    Condition,
    glob_match,
    grants_full_admin,
    is_specific_value,
    parse_policy,
    pins,
)
from scanner.model.values import MISSING, PartialJson, Unknown

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::logs"},
    ],
}


@pytest.mark.parametrize("value", [json.dumps(POLICY), POLICY, PartialJson(POLICY)])
def test_shapes(value: object) -> None:
    first, second = parse_policy(value)
    assert (first.index, first.sid, first.is_allow, first.actions, first.resources) == (
        0,
        "Admin",
        True,
        ("*",),
        ("*",),
    )
    assert grants_full_admin(first) and first.key == "Admin" and first.label == "statement 'Admin'"
    assert (second.index, second.sid, second.is_allow, second.not_actions) == (1, None, False, ("iam:*",))
    assert second.on_all_resources and second.key == "1" and second.label == "statement #2"


@pytest.mark.parametrize("value", [Unknown("var.p"), MISSING, None, "not json", "[]", json.dumps({"Statement": None})])
def test_unreadable_policies_have_no_statements(value: object) -> None:
    assert parse_policy(value) == []


def test_single_statement_object_and_unknown_statement_keeps_indexes() -> None:
    assert len(parse_policy({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}})) == 1
    stmts = parse_policy(PartialJson({"Statement": [Unknown("dynamic"), {"Effect": "Allow", "Action": "*"}]}))
    assert [s.index for s in stmts] == [1]


def test_action_matching_is_case_insensitive_and_unknown_is_no_wildcard() -> None:
    assert glob_match("sts:AssumeRole*", "STS:assumerolewithwebidentity")
    assert glob_match("s3:Get?bject", "s3:GetObject") and not glob_match("s3:Get*", "s3:PutObject")
    (stmt,) = parse_policy(PartialJson({"Statement": [{"Effect": "Allow", "Action": [Unknown("var.a")]}]}))
    assert not stmt.covers_action("iam:PassRole")
    (stmt,) = parse_policy({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", Unknown("var.a")]}]})
    assert not stmt.covers_action("s3:GetObject")  # the unknown element might exclude it
    (stmt,) = parse_policy({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    assert stmt.covers_action("s3:GetObject") and not stmt.covers_action("iam:CreateUser")


def test_principals_are_normalised() -> None:
    stmts = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*"},
                {"Effect": "Allow", "Principal": {"AWS": "*"}},
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"], "Service": "x"}},
                {"Effect": "Allow"},
            ]
        }
    )
    assert stmts[0].principal == ANYONE and stmts[0].principal_is_anyone
    assert stmts[1].principal == {"AWS": ("*",)} and stmts[1].principal_is_anyone
    assert stmts[2].principal_ids("aws") == ("arn:aws:iam::123456789012:root",) and not stmts[2].principal_is_anyone
    assert stmts[3].principal is None


def test_conditions() -> None:
    (stmt,) = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": "o-abc123"},
                        "ForAnyValue:StringNotLikeIfExists": {"aws:TagKeys": ["a*"]},
                    },
                }
            ]
        }
    )
    org, tags = stmt.conditions
    assert org.key_is("AWS:principalorgid") and pins(org)
    assert tags.base_operator == "StringNotLike" and tags.negated and tags.if_exists and not tags.requires_match
    assert stmt.conditions_on("aws:principalorgid") == [org]


def test_unknown_condition_blocks_are_flagged() -> None:
    doc = render(
        {
            "statement": [
                {
                    "actions": ["sts:AssumeRole"],
                    "condition": [{"test": Unknown("var.t"), "variable": "x", "values": []}],
                }
            ]
        }
    )
    (stmt,) = parse_policy(PartialJson(doc))
    assert stmt.conditions_unknown and stmt.conditions == ()
    (stmt,) = parse_policy(PartialJson({"Statement": [{"Effect": "Allow", "Condition": Unknown("var.c")}]}))
    assert stmt.conditions_unknown


@pytest.mark.parametrize(
    ("key", "value", "specific"),
    [
        ("aws:PrincipalOrgID", "o-a1b2c3", True),
        ("aws:PrincipalOrgID", "*", False),
        ("aws:PrincipalOrgID", "o-*", False),
        ("aws:PrincipalOrgID", Unknown("var.org"), True),
        ("aws:PrincipalArn", "arn:aws:iam::123456789012:role/ci-*", True),
        ("aws:PrincipalArn", "arn:aws:iam::*:role/ci", False),
        ("aws:PrincipalOrgPaths", "o-a1b2c3/r-ab12/ou-ab12-11111111/*", True),
        ("aws:PrincipalOrgPaths", "*/r-ab12/*", False),
        ("sts:ExternalId", "", False),
        ("aws:SourceIp", "203.0.113.0/24", True),
        ("aws:SourceIp", "0.0.0.0/0", False),
        ("aws:SourceIp", "::/0", False),
    ],
)
def test_specific_values(key: str, value: object, specific: bool) -> None:
    assert is_specific_value(key, value) is specific


def test_pins_needs_a_positive_operator() -> None:
    assert pins(Condition("StringEquals", "aws:SourceAccount", ("123456789012",)))
    assert not pins(Condition("StringEqualsIfExists", "aws:SourceAccount", ("123456789012",)))
    assert not pins(Condition("StringNotEquals", "aws:SourceAccount", ("123456789012",)))
    assert not pins(Condition("ForAllValues:StringEquals", "aws:SourceAccount", ("123456789012",)))
    assert not pins(Condition("StringEquals", "aws:SourceAccount", ()))


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_policy_documents_merge_as_the_provider_merges_them() -> None:
    """source_json, source_policy_documents, statement blocks, override_policy_documents, override_json;
    a Sid replaces the earlier statement in place, anything else is appended."""
    merged = render(
        {
            "override_json": _doc({"Sid": "B", "Effect": "Allow", "Action": "b:final"}),
            "override_policy_documents": [
                _doc({"Sid": "B", "Effect": "Allow", "Action": "b:override"}, {"Effect": "Allow", "Action": "x:1"}),
            ],
            "statement": [{"sid": "A", "actions": ["a:block"]}, {"actions": ["y:1"]}],
            "source_policy_documents": [_doc({"Sid": "B", "Effect": "Deny", "Action": "b:source"})],
            "source_json": _doc({"Sid": "A", "Effect": "Allow", "Action": "a:source"}),
        }
    )
    assert [(s.get("Sid"), s.get("Action")) for s in merged["Statement"]] == [
        ("A", ["a:block"]),
        ("B", "b:final"),
        (None, ["y:1"]),
        (None, "x:1"),
    ]


def test_an_unknown_override_makes_statements_with_a_sid_unknown() -> None:
    merged = render(
        {
            "source_policy_documents": [
                _doc({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}),
                _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
            ],
            "override_policy_documents": [Unknown("var.extra")],
        }
    )
    statements = parse_policy(PartialJson(merged))
    # "All" may be replaced: unknown, skipped (its index still counts); the unnamed one stays
    assert [(s.index, s.actions) for s in statements] == [(1, ("s3:*",))]
    assert isinstance(merged["Statement"][0], Unknown) and isinstance(merged["Statement"][2], Unknown)
