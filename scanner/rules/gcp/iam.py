"""Read Google IAM grants: which role goes to which members.

``google_*_iam_member`` grants one member, ``google_*_iam_binding`` a list, and
``google_*_iam_policy`` a whole policy (``policy_data``: the JSON of
``data "google_iam_policy"``, a ``jsonencode`` of it, or a literal heredoc).
When ``policy_data`` is unknown because its ``data "google_iam_policy"`` was
deferred to apply (a plan whose members are computed), the data source's
``binding`` blocks are read instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.loaders.hcl_eval import PartialJson
from scanner.model import Resource
from scanner.rules.base import Context
from scanner.values import Unknown, as_list, is_missing, iter_blocks

#: every Google IAM grant resource: google_<thing>_iam_member / _binding / _policy
IAM_GRANT_RE = re.compile(r"google_[a-z0-9_]+_iam_(member|binding|policy)")

#: attribute naming what the grant is on, for the resource-manager levels
SCOPE_ATTRS = {"project": "project", "folder": "folder", "organization": "org_id"}

#: attributes that name the target of resource-level IAM (bucket, topic, secret, ...), first found wins
_TARGET_ATTRS = (
    "bucket",
    "topic",
    "subscription",
    "secret_id",
    "service_account_id",
    "crypto_key_id",
    "key_ring_id",
    "dataset_id",
    "table_id",
    "repository",
    "cloud_function",
    "service",
    "instance",
    "name",
)

_REFERENCE_RE = re.compile(r"[A-Za-z_][\w\-]*(\.[\w\-]+)+")


@dataclass
class Binding:
    """One role granted to members; values are three-valued (str or Unknown)."""

    role: Any
    members: list[Any]
    #: attribute path for the finding's line
    path: str
    #: tells bindings of one ``_iam_policy`` apart ("" for member/binding resources)
    key: str = ""
    #: addresses the member values were computed from, for naming unknown members
    member_refs: list[str] = field(default_factory=list)
    #: ``member_refs`` are this binding's own (False: refs of the whole policy)
    exact_refs: bool = True
    condition: str | None = None


def grant_kind(res: Resource) -> str | None:
    """``member``, ``binding`` or ``policy`` for a Google IAM grant type, else None."""
    match = IAM_GRANT_RE.fullmatch(res.type)
    return match.group(1) if match else None


def bindings(res: Resource, ctx: Context) -> Iterator[Binding]:
    kind = grant_kind(res)
    if kind == "policy":
        yield from _policy_bindings(res, ctx)
        return
    attr = "member" if kind == "member" else "members"
    members = res.get(attr)
    if kind is None or is_missing(members):
        return
    yield Binding(
        res.get("role"),
        [members] if isinstance(members, Unknown) else as_list(members),
        "role",
        member_refs=res.references(attr),
        condition=_title(res.get("condition")),
    )


def _title(condition: Any) -> str | None:
    for block in iter_blocks(condition):
        title = block.get("title")
        return title if isinstance(title, str) else "a condition"
    return None


def _policy_bindings(res: Resource, ctx: Context) -> Iterator[Binding]:
    raw = res.get("policy_data")
    policy: Any = None
    if isinstance(raw, PartialJson):
        policy = raw.value
    elif isinstance(raw, str):
        try:
            policy = json.loads(raw)
        except ValueError:
            return
    elif isinstance(raw, Unknown):
        yield from _deferred_data_source(res, ctx)
        return
    if not isinstance(policy, Mapping):
        return
    refs = res.references("policy_data")
    for i, item in enumerate(as_list(policy.get("bindings"))):
        if not isinstance(item, Mapping):
            continue
        members = item.get("members")
        yield Binding(
            item.get("role"),
            [members] if isinstance(members, Unknown) else as_list(members),
            "policy_data",
            key=f"bindings.{i}",
            member_refs=refs,
            exact_refs=False,
            condition=_title([item.get("condition")]) if isinstance(item.get("condition"), Mapping) else None,
        )


def _deferred_data_source(res: Resource, ctx: Context) -> Iterator[Binding]:
    """``policy_data`` is unknown: read the ``data "google_iam_policy"`` it comes from."""
    for source in ctx.model.referenced(res, "policy_data", "google_iam_policy"):
        if source.mode != "data":
            continue
        blocks = source.get("binding")
        if isinstance(blocks, Unknown):
            continue
        for i, block in enumerate(iter_blocks(blocks)):
            members = block.get("members")
            yield Binding(
                block.get("role"),
                [members] if isinstance(members, Unknown) else as_list(members),
                "policy_data",
                key=f"bindings.{i}",
                # `binding` is a set: plan order need not match configuration order.
                member_refs=source.references("binding"),
                exact_refs=False,
                condition=_title(block.get("condition")),
            )


def describe_members(binding: Binding) -> str:
    """Name the members for a message: literal members as written, computed ones by reference."""
    names: list[str] = []
    need_refs = False
    for member in binding.members:
        if isinstance(member, str):
            names.append(f"`{member}`")
        elif isinstance(member, Unknown):
            if _REFERENCE_RE.fullmatch(member.source):
                names.append(f"`{member.source}`")
            else:
                need_refs = True
    if need_refs:
        refs = ", ".join(f"`{r}`" for r in most_specific(binding.member_refs))
        if refs and binding.exact_refs:
            names.append(refs)
        else:
            names.append(f"members computed at apply (from {refs})" if refs else "members computed at apply")
    return ", ".join(dict.fromkeys(names)) or "no members"


def most_specific(refs: list[str]) -> list[str]:
    """Drop references that only prefix a longer one: keep `x.a.email`, not `x.a`."""
    unique = list(dict.fromkeys(refs))
    return [r for r in unique if not any(o != r and o.startswith(r + ".") for o in unique)]


def describe_role(role: Any) -> str:
    if isinstance(role, str):
        return f"`{role}`"
    if isinstance(role, Unknown) and _REFERENCE_RE.fullmatch(role.source):
        return f"the role in `{role.source}`"
    return "a role computed at apply"


def describe_target(res: Resource) -> str:
    """What the grant is on: ``project `acme-prod```, ``storage bucket `acme-public```, ..."""
    level = res.type.removeprefix("google_").rsplit("_iam_", 1)[0]
    label = level.replace("_", " ")
    attr = SCOPE_ATTRS.get(level)
    for name in (attr,) if attr else _TARGET_ATTRS:
        value = res.get(name)
        if isinstance(value, str):
            return f"{label} `{value}`"
        if isinstance(value, Unknown):
            return f"{label} `{value.source}`" if _REFERENCE_RE.fullmatch(value.source) else f"a computed {label}"
    if level == "project":
        return "the provider's default project"
    return label
