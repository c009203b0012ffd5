"""Read Google IAM grants: which role goes to which members (shared by the GCP rules and the entitlements).

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

from scanner.model.resource import Resource
from scanner.model.values import MISSING, PartialJson, Unknown, as_list, is_missing, iter_blocks
from scanner.policy.context import Context

#: every Google IAM grant resource: google_<thing>_iam_member / _binding / _policy
IAM_GRANT_RE = re.compile(r"google_[a-z0-9_]+_iam_(member|binding|policy)")

#: attribute naming what the grant is on, for the resource-manager levels
SCOPE_ATTRS = {"project": "project", "folder": "folder", "organization": "org_id"}
#: the resource-manager levels, whose grants reach every resource below them
SCOPES = tuple(SCOPE_ATTRS)
#: the grant resources of those levels: google_{project,folder,organization}_iam_{member,binding,policy}
SCOPE_GRANT_TYPES = tuple(f"google_{level}_iam_{kind}" for level in SCOPES for kind in ("member", "binding", "policy"))

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
    #: the condition's CEL ``expression`` (str or Unknown), when it has one: what the grant is limited to
    condition_expression: Any = None


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
        condition_expression=_expression(res.get("condition")),
    )


def _title(condition: Any) -> str | None:
    for block in iter_blocks(condition):
        title = block.get("title")
        return title if isinstance(title, str) else "a condition"
    return None


def _expression(condition: Any) -> Any:
    for block in iter_blocks(condition):
        return block.get("expression")
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
            condition_expression=_expression([item.get("condition")]),
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
                condition_expression=_expression(block.get("condition")),
            )


@dataclass(frozen=True)
class Member:
    """One member of a binding as a message names it, and whether it is a non-human identity."""

    text: str
    #: a service account or a Workload Identity Federation principal
    machine: bool


def describe_members(binding: Binding, res: Resource | None = None, ctx: Context | None = None) -> str:
    """Name the members for a message: literal members as written, computed ones by the identity
    they resolve to (``service account `google_service_account.ci` (ci@p.iam.gserviceaccount.com)``)
    when ``res`` and ``ctx`` are given, else by reference."""
    return ", ".join(dict.fromkeys(m.text for m in resolve_members(binding, res, ctx))) or "no members"


def resolve_members(binding: Binding, res: Resource | None = None, ctx: Context | None = None) -> list[Member]:
    """The binding's members, each resolved as far as the configuration allows.

    A literal ``serviceAccount:...``, ``principal://...`` or ``principalSet://...`` member is
    a machine identity. A computed member is resolved through its expression
    (``serviceAccount:${google_service_account.ci.email}``, ``google_service_account.ci.member``)
    or, when the expression is gone (a plan), through the references recorded for the
    attribute: a reference to a ``google_service_account`` makes it that service account.
    """
    out: list[Member] = []
    need_refs = False
    for member in binding.members:
        if isinstance(member, str):
            out.append(Member(f"`{member}`", member.startswith(MACHINE_PREFIXES)))
        elif isinstance(member, Unknown):
            prefix = f"{res.module}." if res is not None and res.module else ""
            accounts = [prefix + a for a in _accounts_in(member.source)]
            if accounts:
                out += [_account_member(a, res, ctx) for a in accounts]
            elif _REFERENCE_RE.fullmatch(member.source):
                out.append(Member(f"`{member.source}`", False))
            elif member.source.startswith(MACHINE_PREFIXES):
                out.append(Member(f"`{member.source}`", True))
            else:
                need_refs = True
    if need_refs:
        refs = most_specific(binding.member_refs)
        accounts = list(dict.fromkeys(a for r in refs for a in _accounts_in(r)))
        others = [r for r in refs if not _accounts_in(r)]
        if refs and (binding.exact_refs or (len(accounts) == 1 and not others)):
            out += [_account_member(a, res, ctx) for a in accounts]
            if others:
                out.append(Member(", ".join(f"`{r}`" for r in others), False))
        else:
            shown = ", ".join(f"`{r}`" for r in refs)
            # A policy's references are the whole policy's: a service account among them is
            # the likeliest owner of a computed member, but not a certain one.
            text = f"members computed at apply (from {shown})" if shown else "members computed at apply"
            out.append(Member(text, bool(accounts)))
    return out


def named_accounts(binding: Binding, res: Resource) -> tuple[set[str], set[str]]:
    """The service accounts a binding's members name: (lower-cased emails of literal
    ``serviceAccount:`` members, addresses of ``google_service_account`` resources computed members
    reference). The computed ones are read as :func:`resolve_members` reads them."""
    emails: set[str] = set()
    addresses: set[str] = set()
    need_refs = False
    prefix = f"{res.module}." if res.module else ""
    for member in binding.members:
        if isinstance(member, str):
            if member.startswith("serviceAccount:"):
                emails.add(member.removeprefix("serviceAccount:").strip().lower())
        elif isinstance(member, Unknown):
            accounts = _accounts_in(member.source)
            if accounts:
                addresses.update(prefix + a for a in accounts)
            elif not _REFERENCE_RE.fullmatch(member.source) and not member.source.startswith(MACHINE_PREFIXES):
                need_refs = True
    if need_refs:
        refs = most_specific(binding.member_refs)
        accounts = list(dict.fromkeys(a for r in refs for a in _accounts_in(r)))
        if binding.exact_refs or len(accounts) == 1:
            addresses.update(accounts)
    return emails, addresses


def email_of(account: Resource) -> str | None:
    """A service account's email: ``email``, else ``account_id@project.iam.gserviceaccount.com``."""
    email = account.get("email")
    if isinstance(email, str):
        return email
    account_id, project = account.get("account_id"), account.get("project")
    if isinstance(account_id, str) and isinstance(project, str):
        return f"{account_id}@{project}.iam.gserviceaccount.com"
    return None


def target_of(res: Resource) -> tuple[str, Any]:
    """What a grant is on, as (kind, value): ``("project", "acme-prod")``, ``("storage bucket", ...)``;
    the value is three-valued (MISSING for a project grant on the provider's default project)."""
    level = res.type.removeprefix("google_").rsplit("_iam_", 1)[0]
    label = level.replace("_", " ")
    attr = SCOPE_ATTRS.get(level)
    for name in (attr,) if attr else _TARGET_ATTRS:
        value = res.get(name)
        if not is_missing(value):
            return label, value
    return label, MISSING


#: member prefixes of non-human identities: service accounts and Workload Identity Federation
MACHINE_PREFIXES = ("serviceAccount:", "principal://", "principalSet://")
#: a reference to a service account (resource or data source) inside an expression or reference list
_ACCOUNT_REF_RE = re.compile(
    r"((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?:data\.)?google_service_account\.[\w-]+)(?:\[[^\]]*\])?"
    r"(?:\.(?:email|member|name|id|unique_id|account_id)\b|(?=\s*\}|$))"
)


def _accounts_in(text: str) -> list[str]:
    """Addresses of the service accounts an expression or a reference names (index-free)."""
    return list(dict.fromkeys(re.sub(r"\[[^\]]*\]", "", m.group(1)) for m in _ACCOUNT_REF_RE.finditer(text)))


def _account_member(address: str, res: Resource | None, ctx: Context | None) -> Member:
    label = "service account" if ".data." not in f".{address}" else "existing service account"
    found = ctx.model.by_address(res, address) if ctx is not None and res is not None else []
    email = _email(found[0]) if found else None
    return Member(f"{label} `{address}`" + (f" ({email})" if email else ""), True)


def _email(account: Resource) -> str | None:
    email = email_of(account)
    if email is None and isinstance(account.get("account_id"), str):
        return f"account `{account.get('account_id')}`"
    return email


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


def describe_target(res: Resource, ctx: Context | None = None) -> str:
    """What the grant is on: ``project `acme-prod```, ``storage bucket `acme-public```, ...

    With ``ctx``, a service account named by reference is resolved like a member is.
    """
    level = res.type.removeprefix("google_").rsplit("_iam_", 1)[0]
    label = level.replace("_", " ")
    attr = SCOPE_ATTRS.get(level)
    for name in (attr,) if attr else _TARGET_ATTRS:
        value = res.get(name)
        if isinstance(value, str):
            return f"{label} `{value}`"
        if isinstance(value, Unknown) and level == "service_account" and ctx is not None:
            accounts = _accounts_in(value.source) or [a for r in res.references(name) for a in _accounts_in(r)]
            if accounts:
                prefix = f"{res.module}." if res.module and not accounts[0].startswith("module.") else ""
                return _account_member(prefix + accounts[0], res, ctx).text
        if isinstance(value, Unknown):
            return f"{label} `{value.source}`" if _REFERENCE_RE.fullmatch(value.source) else f"a computed {label}"
    if level == "project":
        return "the provider's default project"
    return label


def service_account_label(res: Resource, attr: str, ctx: Context) -> str:
    """How a credential's message names the service account ``res.<attr>`` points at:
    ``service account google_service_account.ci``, ``service account `ci@p.iam.gserviceaccount.com```,
    ``the service account in `module.sa.email```, or ``its service account``."""
    accounts = ctx.model.referenced(res, attr, "google_service_account")
    if accounts:
        return f"service account {accounts[0].address}"
    value = res.get(attr)
    if isinstance(value, str):
        return f"service account `{value}`"
    refs = most_specific(res.references(attr))
    if refs:
        return f"the service account in `{refs[0]}`"
    if isinstance(value, Unknown) and value.source.startswith("var."):
        return f"the service account in `{value.source}`"
    return "its service account"
