"""AWS CodeCommit approval rule templates and the pipeline roles that could approve through them.

``aws_codecommit_approval_rule_template.content`` is JSON (``Version`` 2018-11-08):
``DestinationReferences`` (``refs/heads/...``; none means every branch) and ``Statements`` of
``Type = "Approvers"`` with ``NumberOfApprovalsNeeded`` and ``ApprovalPoolMembers``. A pool member is
an ARN (``arn:aws:sts::123456789012:assumed-role/CodeBuildRole/*``, ``arn:aws:iam::...:role/Name``),
``CodeCommitApprovers:<account>:<name>`` (IAM and federated users of that name) or ``*``, with
wildcards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.iam.policy_grammar import glob_match
from scanner.iam.policy_lookup import trust_policy_of
from scanner.model.resource import Resource
from scanner.model.values import PartialJson, Unknown, as_list, contains_unknown
from scanner.policy.context import Context
from scanner.rules.sod.gates import ALL_BRANCHES, in_scope, read_int, strip_ref

TEMPLATE = "aws_codecommit_approval_rule_template"
#: services whose role is a pipeline or an automation acting for one
_AUTOMATION_SERVICES = ("codebuild.amazonaws.com", "codepipeline.amazonaws.com", "codedeploy.amazonaws.com",
                        "lambda.amazonaws.com")
#: resource type -> attribute naming the role it runs as
_RUNS_AS = {"aws_codepipeline": "role_arn", "aws_codebuild_project": "service_role"}


@dataclass(frozen=True)
class Statement:
    index: int
    approvals: int | None
    pool: tuple[str, ...] | None  # None: no pool written (anyone with permission), or unknown


def content(res: Resource) -> Mapping[str, Any] | None:
    """The template's content as a structure; None when it cannot be read before apply."""
    return content_of(res.get("content"))


def content_of(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, PartialJson):
        value = value.value
    elif isinstance(value, Unknown):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def branches(doc: Mapping[str, Any]) -> list[str] | None:
    refs = doc.get("DestinationReferences")
    if refs is None:
        return [ALL_BRANCHES]
    if contains_unknown(refs):
        return None
    return [strip_ref(r) for r in as_list(refs) if isinstance(r, str)]


def statements(doc: Mapping[str, Any]) -> list[Statement] | None:
    raw = doc.get("Statements")
    if isinstance(raw, Unknown):
        return None
    out = []
    for i, item in enumerate(as_list(raw)):
        if not isinstance(item, Mapping):
            continue
        pool = item.get("ApprovalPoolMembers")
        members = None
        if pool is not None and not contains_unknown(pool):
            members = tuple(p for p in as_list(pool) if isinstance(p, str))
        out.append(Statement(i, read_int(item.get("NumberOfApprovalsNeeded")), members))
    return out


def automation_roles(res: Resource, ctx: Context) -> dict[str, tuple[Resource, str]]:
    """Role name -> (role, why it is a pipeline's), for the roles of ``res``'s module with a known name."""
    roles: dict[str, tuple[Resource, str]] = {}
    for role in in_scope(res, ctx, "aws_iam_role"):
        name = role.get("name")
        if not isinstance(name, str):
            continue
        for stmt in trust_policy_of(role, ctx):
            services = [s for s in stmt.principal_ids("Service") if s in _AUTOMATION_SERVICES]
            federated = [f for f in stmt.principal_ids("Federated") if isinstance(f, str) and "oidc-provider" in f]
            if stmt.is_allow and services:
                roles.setdefault(name, (role, f"assumed by {services[0]}"))
            elif stmt.is_allow and federated:
                roles.setdefault(name, (role, "assumed by CI through OIDC"))
    for rtype, attr in _RUNS_AS.items():
        for runner in in_scope(res, ctx, rtype):
            for role in ctx.model.referenced(runner, attr, "aws_iam_role"):
                name = role.get("name")
                if isinstance(name, str):
                    roles.setdefault(name, (role, f"the role {runner.address} runs as"))
    return roles


def admitted(member: str, role: str) -> bool:
    """The pool member admits sessions of IAM role ``role``."""
    if member == "*":
        return True
    if member.startswith("CodeCommitApprovers:"):
        return member.rsplit(":", 1)[-1] == "*"
    head, _, rest = member.partition(":assumed-role/")
    if rest and head.startswith("arn:"):
        return glob_match(rest.split("/", 1)[0], role)
    head, _, rest = member.partition(":role/")
    if rest and head.startswith("arn:"):
        return glob_match(rest.rsplit("/", 1)[-1], role)
    return False
