"""Where a resource keeps its AWS IAM policies, and which resources a policy points at.

:func:`policies_of` yields the permission policies a resource carries,
:func:`trust_policy_of` an IAM role's trust policy, :func:`statements_at` the
statements at any attribute (reading a ``data "aws_iam_policy_document"`` when a
plan leaves the attribute unknown), and :func:`referenced_behind` the resources
a policy references directly or through its policy document. The statements
themselves are :mod:`scanner.iam.policy_grammar`'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.iam.policy_document import render
from scanner.iam.policy_grammar import Statement, parse_policy
from scanner.model.values import PartialJson, Unknown, as_list

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

#: Resource type -> attribute paths that hold an identity (permission) policy.
POLICY_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_iam_policy": ("policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
}
#: Resource types :func:`policies_of` understands (``aws_iam_role`` for ``inline_policy``).
POLICY_TYPES: tuple[str, ...] = (*POLICY_ATTRS, "aws_iam_role")

#: type -> (attribute holding the policy ARN(s), [(attribute naming identities, identity type, noun)])
ATTACHMENTS: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "aws_iam_role_policy_attachment": ("policy_arn", (("role", "aws_iam_role", "role"),)),
    "aws_iam_user_policy_attachment": ("policy_arn", (("user", "aws_iam_user", "user"),)),
    "aws_iam_group_policy_attachment": ("policy_arn", (("group", "aws_iam_group", "group"),)),
    "aws_iam_policy_attachment": (
        "policy_arn",
        (
            ("roles", "aws_iam_role", "role"),
            ("users", "aws_iam_user", "user"),
            ("groups", "aws_iam_group", "group"),
        ),
    ),
    "aws_iam_role_policy_attachments_exclusive": ("policy_arns", (("role_name", "aws_iam_role", "role"),)),
    "aws_iam_user_policy_attachments_exclusive": ("policy_arns", (("user_name", "aws_iam_user", "user"),)),
    "aws_iam_group_policy_attachments_exclusive": ("policy_arns", (("group_name", "aws_iam_group", "group"),)),
}

#: Inline policy type -> (attribute naming the identity, identity resource type, noun).
INLINE_POLICY_OWNERS: dict[str, tuple[str, str, str]] = {
    "aws_iam_role_policy": ("role", "aws_iam_role", "role"),
    "aws_iam_user_policy": ("user", "aws_iam_user", "user"),
    "aws_iam_group_policy": ("group", "aws_iam_group", "group"),
}



def _policy_value(res: Resource, path: str, ctx: Context | None) -> Any:
    """The policy at ``path``; when it is unknown (a plan whose policy document is
    read at apply), the ``data "aws_iam_policy_document"`` it references, rendered."""
    value = res.get(path)
    if not isinstance(value, Unknown) or isinstance(value, PartialJson) or ctx is None:
        return value
    docs = [d for d in ctx.model.referenced(res, path, "aws_iam_policy_document") if d.mode == "data"]
    if len(docs) != 1:
        return value
    rendered = render(docs[0].attrs)
    return PartialJson(rendered, docs[0].address)


def statements_at(res: Resource, path: str, ctx: Context | None = None) -> list[Statement]:
    """Statements of the policy at ``res.<path>`` (see :func:`_policy_value`)."""
    return parse_policy(_policy_value(res, path, ctx))


def policies_of(res: Resource, ctx: Context | None = None) -> Iterator[tuple[str, list[Statement]]]:
    """``(path, statements)`` for every permission policy a resource carries.

    ``aws_iam_policy``, ``aws_iam_{role,user,group}_policy``: ``policy``;
    ``aws_iam_role``: each ``inline_policy`` block. A trust policy is not a
    permission policy: see :func:`trust_policy_of`. Data sources
    (``aws_iam_policy_document``) are not grants and yield nothing.
    """
    if res.mode != "managed":
        return
    for path in POLICY_ATTRS.get(res.type, ()):
        yield path, statements_at(res, path, ctx)
    if res.type == "aws_iam_role":
        blocks = res.attrs.get("inline_policy")
        standalone = _standalone_inline_names(res, ctx)
        if isinstance(blocks, list):
            for i, block in enumerate(blocks):
                if not isinstance(block, Mapping) or _is_standalone(block, standalone):
                    continue
                if unchanged_in_update(res, "inline_policy", block):
                    continue
                path = f"inline_policy.{i}.policy"
                yield path, statements_at(res, path, ctx)


def _is_standalone(block: Mapping[str, Any], standalone: set[str]) -> bool:
    """The ``inline_policy`` block is one of the role's ``aws_iam_role_policy`` resources.

    A ``name`` that is not a string (malformed plan JSON) matches none of them.
    """
    name = block.get("name")
    return isinstance(name, str) and name in standalone


def unchanged_in_update(res: Resource, attr: str, element: Any) -> bool:
    """``element`` of the list attribute ``attr`` was already there before this update.

    ``aws_iam_role.inline_policy`` and ``managed_policy_arns`` are computed: when
    the author does not set them, an update plan lists what other resources
    (``aws_iam_role_policy``, attachments, possibly being deleted in the same plan)
    put on the role. A plan cannot tell those apart from configured values, so an
    update reports only what it adds; the grant was reportable when it was created.
    """
    if res.action not in ("update", "no-op") or not isinstance(res.before, Mapping):
        return False
    return element in as_list(res.before.get(attr))


def _standalone_inline_names(res: Resource, ctx: Context | None) -> set[str]:
    """Names of ``aws_iam_role_policy`` resources in the scan that belong to this role.

    ``inline_policy`` is computed: a plan that updates a role lists the policies
    those resources created in it too. They are reported on the standalone
    resource, once.
    """
    if ctx is None:
        return set()
    names = set()
    for policy in ctx.model.referrers(res, "role", "aws_iam_role_policy"):
        name = policy.get("name")
        if isinstance(name, str):
            names.add(name)
    return names


def trust_policy_of(res: Resource, ctx: Context | None = None) -> list[Statement]:
    """The statements of an ``aws_iam_role``'s ``assume_role_policy``."""
    if res.type != "aws_iam_role" or res.mode != "managed":
        return []
    return statements_at(res, "assume_role_policy", ctx)


def referenced_behind(res: Resource, path: str, ctx: Context, *types: str) -> list[Resource]:
    """Resources of ``types`` that ``res.<path>`` references directly or through the
    ``data "aws_iam_policy_document"`` it renders (e.g. the OIDC provider a trust
    policy's principal names)."""
    found = list(ctx.model.referenced(res, path, *types))
    for doc in ctx.model.referenced(res, path, "aws_iam_policy_document"):
        for attr in ("statement", "source_policy_documents", "override_policy_documents"):
            found.extend(t for t in ctx.model.referenced(doc, attr, *types) if t not in found)
    return found
