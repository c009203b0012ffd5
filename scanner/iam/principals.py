"""Who holds which policies: every permission policy that reaches one IAM role, user or group.

A principal's permissions come from many resources: ``inline_policy`` blocks,
``aws_iam_{role,user,group}_policy``, every attachment resource, the role's
``managed_policy_arns``, and for a user the policies of its groups
(``aws_iam_user_group_membership``, ``aws_iam_group_membership``). Its
``permissions_boundary`` caps them. :func:`principal_of` gathers all of that
through ``ctx.model``.

Policies are followed to their documents when the document is in the scan (an
``aws_iam_policy`` resource, possibly through ``data "aws_iam_policy"``) or is
an AWS managed policy vendored in ``scanner/data/aws_managed_policies.json.gz``
(see :mod:`scanner.iam.managed`). Any other policy (an AWS managed policy not
vendored, an ARN known only at apply) is counted in :attr:`Principal.opaque`: it
may grant more, never less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.iam.managed import ADMIN_CLASS, aws_managed_name, aws_managed_path, managed_policy
from scanner.iam.policy_grammar import Statement
from scanner.iam.policy_lookup import ATTACHMENTS, INLINE_POLICY_OWNERS, statements_at
from scanner.iam.policy_wording import names_of
from scanner.model.values import Unknown, as_list, is_missing

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

IDENTITY_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}

@dataclass
class PolicySource:
    """One policy document that applies to a principal."""

    #: the resource carrying the document (None for a modelled AWS managed policy)
    resource: Resource | None
    path: str
    statements: list[Statement]
    #: for messages: ``policy aws_iam_policy.deploy``, ``AWS managed policy IAMFullAccess``
    label: str
    #: how it reaches the principal, for users: ``through group aws_iam_group.ops``
    via: str = ""
    #: an AWS managed policy read from the vendored documents (scanner/iam/managed.py)
    aws_managed: bool = False
    #: one of the AWS managed policies NHI_AWS_012 reports on the attachment (:data:`ADMIN_CLASS`)
    admin_class: bool = False
    #: an AWS managed policy's ARN (``arn:aws:iam::aws:policy/ReadOnlyAccess``): how grant summaries name it
    arn: str | None = None

    def describe(self) -> str:
        return f"{self.label} {self.via}".strip()


@dataclass(frozen=True)
class OpaquePolicy:
    """A policy that applies but whose document nhi-guard cannot read.

    ``name`` is what identifies it: its ARN (an AWS managed policy that is not vendored, a
    customer managed policy outside the scan), the name a ``data "aws_iam_policy"`` looks up,
    or an :class:`Unknown` when it is known only at apply.
    """

    label: str
    name: str | Unknown

    def __str__(self) -> str:
        return self.label


@dataclass
class Principal:
    """A role, user or group with every policy that reaches it."""

    kind: str  # role | user | group | policy
    label: str
    resource: Resource | None
    policies: list[PolicySource] = field(default_factory=list)
    #: policies that apply but whose documents cannot be read (unknown ARN, AWS managed policy not vendored)
    opaque: list[OpaquePolicy] = field(default_factory=list)
    #: None: no boundary; a list: the boundary's statements; Unknown: a boundary that cannot be read
    boundary: list[Statement] | Unknown | None = None
    boundary_label: str = ""
    #: the policy (or policies: several are an error AWS rejects) the boundary names
    boundary_sources: list[PolicySource | OpaquePolicy] = field(default_factory=list)
    #: the groups a user belongs to, for not reporting twice what a group already has
    groups: list[Resource] = field(default_factory=list)

    def add(self, source: PolicySource) -> None:
        key = (id(source.resource), source.path, source.label)
        if all((id(p.resource), p.path, p.label) != key for p in self.policies):
            self.policies.append(source)


def label_of(res: Resource) -> str:
    noun = IDENTITY_TYPES.get(res.type, "identity")
    return f"{noun} {res.address}"


def principal_of(res: Resource, ctx: Context, with_groups: bool = True) -> Principal:
    """Every policy that applies to an ``aws_iam_role``/``_user``/``_group`` in the scan."""
    kind = IDENTITY_TYPES[res.type]
    principal = Principal(kind, label_of(res), res)
    _collect(res, ctx, principal, via="")
    if kind in ("role", "user"):
        _boundary(res, ctx, principal)
    if kind == "user" and with_groups:
        for group in groups_of(res, ctx):
            principal.groups.append(group)
            _collect(group, ctx, principal, via=f"through group {group.address}")
    return principal


def _collect(res: Resource, ctx: Context, principal: Principal, via: str) -> None:
    kind = IDENTITY_TYPES[res.type]
    # inline_policy blocks of a role (those also written as aws_iam_role_policy come from there)
    if res.type == "aws_iam_role":
        policies = ctx.model.referrers(res, "role", "aws_iam_role_policy")
        standalone = {p.get("name") for p in policies if isinstance(p.get("name"), str)}
        for i, block in enumerate(as_list(res.attrs.get("inline_policy"))):
            name = block.get("name") if isinstance(block, Mapping) else None
            if not isinstance(block, Mapping) or (isinstance(name, str) and name in standalone):
                continue
            path = f"inline_policy.{i}.policy"
            shown = f"'{name}'" if isinstance(name, str) and name else f"#{i + 1}"
            principal.add(PolicySource(res, path, statements_at(res, path, ctx), f"inline policy {shown}", via))
    for rtype, (attr, itype, _noun) in INLINE_POLICY_OWNERS.items():
        if itype != res.type:
            continue
        for pol in ctx.model.referrers(res, attr, rtype):
            principal.add(PolicySource(pol, "policy", statements_at(pol, "policy", ctx), f"policy {pol.address}", via))
    for rtype, (path, grantees) in ATTACHMENTS.items():
        for attr, itype, _noun in grantees:
            if itype != res.type:
                continue
            for att in ctx.model.referrers(res, attr, rtype):
                for source in resolve_policies(att, path, ctx):
                    _add_resolved(principal, source, via)
    if kind == "role" and not is_missing(res.get("managed_policy_arns")):
        for source in resolve_policies(res, "managed_policy_arns", ctx):
            _add_resolved(principal, source, via)


def _add_resolved(principal: Principal, source: PolicySource | OpaquePolicy, via: str) -> None:
    if isinstance(source, OpaquePolicy):
        if source not in principal.opaque:
            principal.opaque.append(source)
        return
    source.via = via
    principal.add(source)


def resolve_policies(res: Resource, path: str, ctx: Context) -> list[PolicySource | OpaquePolicy]:
    """The policies the ARN(s) at ``res.<path>`` name: documents when readable, else what names them."""
    out: list[PolicySource | OpaquePolicy] = []
    value = res.get(path)
    in_scan = [p for p in ctx.model.referenced(res, path, "aws_iam_policy")]
    for pol in in_scan:
        if pol.mode == "managed":
            out.append(PolicySource(pol, "policy", statements_at(pol, "policy", ctx), f"policy {pol.address}"))
        elif pol.mode == "data":
            arn = pol.get("arn")
            if aws_managed_name(arn):
                out.append(_managed(str(aws_managed_name(arn)), aws_managed_path(arn), str(arn)))
            elif isinstance(pol.get("name"), str) and pol.get("name"):
                out.append(_managed(str(pol.get("name"))))
            else:
                out.append(OpaquePolicy(f"policy {pol.address}", arn if isinstance(arn, str) else Unknown(pol.address)))
    if in_scan:
        return out
    for arn in as_list(value):
        name = aws_managed_name(arn)
        if name:
            out.append(_managed(name, aws_managed_path(arn), str(arn)))
        elif isinstance(arn, str):
            out.append(OpaquePolicy(f"policy '{arn}'", arn))
        elif isinstance(arn, Unknown):
            label = f"a policy known only at apply ({arn.source})" if arn.source else "a policy known only at apply"
            out.append(OpaquePolicy(label, arn))
    return out


def _managed(name: str, path: str | None = None, arn: str | None = None) -> PolicySource | OpaquePolicy:
    """An AWS managed policy by name (and ARN path): its vendored document, else what names it (unreadable).

    A name looked up by ``data "aws_iam_policy"`` (no ARN) is named by the ARN of the vendored policy
    of that name, or by the name itself: it may also be a customer managed policy of that name.
    """
    policy = managed_policy(name, path)
    if policy is None:
        return OpaquePolicy(f"AWS managed policy {name}", arn or name)
    return PolicySource(
        None,
        policy.name,
        list(policy.statements),
        f"AWS managed policy {policy.name}",
        aws_managed=True,
        admin_class=policy.name in ADMIN_CLASS,
        arn=arn or f"arn:aws:iam::aws:policy{policy.path}{policy.name}",
    )


def _boundary(res: Resource, ctx: Context, principal: Principal) -> None:
    value = res.get("permissions_boundary")
    if is_missing(value) or value == "":
        return
    sources = resolve_policies(res, "permissions_boundary", ctx)
    principal.boundary_sources = sources
    readable = [s for s in sources if isinstance(s, PolicySource)]
    if len(sources) == 1 and readable:
        principal.boundary = readable[0].statements
        principal.boundary_label = readable[0].label
    else:
        principal.boundary = Unknown("permissions_boundary")
        principal.boundary_label = sources[0].label if sources else "a permissions boundary"


def groups_of(user: Resource, ctx: Context) -> list[Resource]:
    """The ``aws_iam_group`` resources in the scan that ``user`` is a member of."""
    found: list[Resource] = []
    for membership in ctx.model.referrers(user, "user", "aws_iam_user_group_membership"):
        found.extend(ctx.model.referenced(membership, "groups", "aws_iam_group"))
    for membership in ctx.model.referrers(user, "users", "aws_iam_group_membership"):
        found.extend(ctx.model.referenced(membership, "group", "aws_iam_group"))
    return list({id(g): g for g in found}.values())


def holders_of(policy: Resource, ctx: Context) -> tuple[list[Resource], list[str]]:
    """Identities a policy resource applies to: those in the scan, and names of others.

    For ``aws_iam_policy``: every attachment and ``managed_policy_arns`` that names it.
    For ``aws_iam_{role,user,group}_policy``: the identity it is written on.
    """
    found: list[Resource] = []
    others: list[str] = []
    if policy.type in INLINE_POLICY_OWNERS:
        attr, itype, _noun = INLINE_POLICY_OWNERS[policy.type]
        found = ctx.model.referenced(policy, attr, itype)
        if not found:
            others = names_of(policy.get(attr), IDENTITY_TYPES[itype])
        return found, others
    if policy.type != "aws_iam_policy":
        return [], []
    for rtype, (path, grantees) in ATTACHMENTS.items():
        for att in ctx.model.referrers(policy, path, rtype):
            for attr, itype, noun in grantees:
                targets = ctx.model.referenced(att, attr, itype)
                found.extend(targets)
                if not targets:
                    others.extend(names_of(att.get(attr), noun))
    found.extend(ctx.model.referrers(policy, "managed_policy_arns", "aws_iam_role"))
    return list({id(r): r for r in found}.values()), list(dict.fromkeys(others))


def policy_principal(policy: Resource, ctx: Context, others: Iterable[str] = ()) -> Principal:
    """A pseudo-principal for a policy whose holders are outside the scan."""
    names = list(others)
    label = " and ".join(names) if names else f"any identity policy {policy.address} is attached to"
    principal = Principal("policy", label, policy)
    principal.add(PolicySource(policy, "policy", statements_at(policy, "policy", ctx), f"policy {policy.address}"))
    return principal
