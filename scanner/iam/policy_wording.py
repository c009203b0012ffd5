"""How messages name AWS IAM policies and the identities that hold them.

``policy aws_iam_policy.x``, ``inline policy aws_iam_role_policy.x of role
aws_iam_role.ci``, ``role aws_iam_role.ci inline policy 'deploy'``, ``role 'ci'``
for an identity outside the scan, ``a role known only at apply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.iam.policy_lookup import INLINE_POLICY_OWNERS
from scanner.model.values import Unknown, as_list

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context


def describe_policy(res: Resource, path: str, ctx: Context) -> str:
    """How messages name a policy: ``policy aws_iam_policy.x``, ``inline policy
    aws_iam_role_policy.x of role aws_iam_role.ci``, ``role aws_iam_role.ci inline policy 'deploy'``."""
    if res.type == "aws_iam_role" and path.startswith("inline_policy."):
        name = res.get(path.rsplit(".", 1)[0] + ".name")
        shown = f"'{name}'" if isinstance(name, str) and name else path.rsplit(".", 1)[0]
        return f"role {res.address} inline policy {shown}"
    owner = INLINE_POLICY_OWNERS.get(res.type)
    if owner is not None:
        return f"inline policy {res.address} of {identity_label(res, owner[0], ctx, owner[1], owner[2])}"
    return f"policy {res.address}"


def identity_label(res: Resource, path: str, ctx: Context, rtype: str, noun: str) -> str:
    """Name the identity ``res.<path>`` points at (see :func:`identity_names`)."""
    return " and ".join(identity_names(res, path, ctx, rtype, noun)) or f"no {noun}"


def identity_names(res: Resource, path: str, ctx: Context, rtype: str, noun: str) -> list[str]:
    """``role aws_iam_role.ci`` for identities in the scan, ``role 'ci'`` for literal names
    of identities elsewhere, ``a role known only at apply`` for unknown ones.

    With ``count``/``for_each`` a reference names every instance; the instance
    whose name matches the value (or, failing that, that has the same instance
    key as ``res``) is the one meant.
    """
    value = res.get(path)
    targets = ctx.model.referenced(res, path, rtype)
    if len(targets) > 1:
        wanted = {v for v in as_list(value) if isinstance(v, str)}
        by_value = [t for t in targets if any(t.get(a) in wanted for a in ("name", "arn", "id"))]
        suffix = res.address[len(res.config_address) :] if res.address.endswith("]") else ""
        by_key = [t for t in targets if suffix and t.address.endswith(suffix)]
        targets = by_value or by_key or targets
    if targets:
        return [f"{noun} {t.address}" for t in targets]
    return list(dict.fromkeys(names_of(value, noun)))


def names_of(value: Any, noun: str) -> list[str]:
    """``role 'ci'`` for each literal name in ``value``, ``a role known only at apply`` for each unknown."""
    names = []
    for item in as_list(value):
        if isinstance(item, str) and item:
            names.append(f"{noun} '{item}'")
        elif isinstance(item, Unknown):
            names.append(f"a {noun} known only at apply")
    return names
