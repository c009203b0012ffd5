from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from scanner.iam.policy_lookup import ATTACHMENTS, unchanged_in_update
from scanner.iam.policy_wording import identity_names
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import as_list, is_unknown
from scanner.rules.base import Context, Rule, Violation

#: AWS managed policies that amount to administrator access, and how bad each is.
ADMIN_POLICIES: dict[str, Severity] = {
    "administratoraccess": Severity.CRITICAL,
    "iamfullaccess": Severity.HIGH,  # can grant itself anything: admin one API call away
    "poweruseraccess": Severity.HIGH,  # everything except IAM and Organizations
}
_CANONICAL = {name.lower(): name for name in ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")}
_ARN_RE = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::aws:policy/([A-Za-z]+)$")


def admin_policy_name(arn: object) -> str | None:
    """``AdministratorAccess`` for its ARN in any partition; None for any other value."""
    m = _ARN_RE.match(arn) if isinstance(arn, str) else None
    if m is None or m.group(1).lower() not in ADMIN_POLICIES:
        return None
    return _CANONICAL[m.group(1).lower()]


class ManagedAdminPolicy(Rule):
    """## What it does
    Flags the attachment of an AWS managed policy that is administrator access or
    one step from it: `AdministratorAccess` (critical), `IAMFullAccess` and
    `PowerUserAccess` (high), in any partition (`aws`, `aws-cn`, `aws-us-gov`).

    It reads `policy_arn` of `aws_iam_role_policy_attachment`,
    `aws_iam_user_policy_attachment`, `aws_iam_group_policy_attachment` and
    `aws_iam_policy_attachment`, `policy_arns` of the
    `aws_iam_*_policy_attachments_exclusive` resources, and `managed_policy_arns` of
    `aws_iam_role`. An ARN read through `data "aws_iam_policy"` (by `arn` or
    `name`) counts. The finding is on the attachment (or on the role for
    `managed_policy_arns`) and names the identity that gains the policy.
    `managed_policy_arns` is computed: when an attachment in the scan gives the role
    the policy, or an update plan merely carries it over from before, the role is
    not reported (the attachment is, or was when it was created).

    ## Why is this bad?
    `AdministratorAccess` lets the identity do anything in the account.
    `IAMFullAccess` lets it attach `AdministratorAccess` to itself.
    `PowerUserAccess` allows every service except IAM and Organizations: every
    secret, every database, every bucket. Chat assistants reach for these
    because they make permission errors disappear; for a machine identity whose
    credentials live in CI, they turn any leak into an account compromise
    (OWASP NHI5).

    ## Example
    ```hcl
    resource "aws_iam_role_policy_attachment" "ci" {
      role       = aws_iam_role.ci.name
      policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    }
    ```

    ## Use instead
    Attach a customer managed policy that lists what the workload does:
    ```hcl
    resource "aws_iam_role_policy_attachment" "ci" {
      role       = aws_iam_role.ci.name
      policy_arn = aws_iam_policy.ci_deploy.arn
    }
    ```
    where `aws_iam_policy.ci_deploy` names the actions and resources the pipeline uses.
    """

    id = "NHI_AWS_012"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "AWS managed administrator policy attached to an identity"
    fix = "Attach a customer managed policy with only the needed actions instead of AdministratorAccess-class policies."
    resource_types = (*ATTACHMENTS, "aws_iam_role")
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.type == "aws_iam_role":
            attached = _attached_elsewhere(res, ctx)
            for name in dict.fromkeys(_admin_policies(res, "managed_policy_arns", ctx)):
                if name in attached:
                    continue
                yield Violation(
                    f"role {res.address} has the AWS managed policy {name} in managed_policy_arns",
                    path="managed_policy_arns",
                    key=name,
                    severity=ADMIN_POLICIES[name.lower()],
                )
            return
        path, grantees = ATTACHMENTS[res.type]
        for name in dict.fromkeys(_admin_policies(res, path, ctx)):
            yield Violation(
                f"{res.address} attaches the AWS managed policy {name} to {_identities(res, grantees, ctx)}",
                path=path,
                key=name,
                severity=ADMIN_POLICIES[name.lower()],
            )


def _admin_policies(res: Resource, path: str, ctx: Context) -> Iterator[str]:
    """Admin-class policy names among the ARNs at ``path`` (a string or a list)."""
    value = res.get(path)
    unknown = is_unknown(value)
    for arn in as_list(value) if not unknown else []:
        if res.type == "aws_iam_role" and unchanged_in_update(res, path, arn):
            continue  # computed: possibly another resource's attachment, read back
        name = admin_policy_name(arn)
        if name:
            yield name
        unknown = unknown or is_unknown(arn)
    if not unknown:
        return
    # `policy_arn = data.aws_iam_policy.admin.arn`: a data source read at plan time.
    for data in ctx.model.referenced(res, path, "aws_iam_policy"):
        if data.mode != "data":
            continue
        name = admin_policy_name(data.get("arn"))
        looked_up = data.get("name")
        if name is None and isinstance(looked_up, str) and looked_up.lower() in ADMIN_POLICIES:
            name = _CANONICAL[looked_up.lower()]
        if name:
            yield name


def _attached_elsewhere(role: Resource, ctx: Context) -> set[str]:
    """Admin policies that attachment resources in the scan give this role.

    ``managed_policy_arns`` is computed: a plan that updates a role lists the
    policies attachments gave it, and the finding belongs to the attachment.
    """
    names: set[str] = set()
    for rtype, (path, grantees) in ATTACHMENTS.items():
        for attr, target_type, _noun in grantees:
            if target_type != "aws_iam_role":
                continue
            for attachment in ctx.model.referrers(role, attr, rtype):
                names.update(_admin_policies(attachment, path, ctx))
    return names


def _identities(res: Resource, grantees: tuple[tuple[str, str, str], ...], ctx: Context) -> str:
    """``role aws_iam_role.ci``, ``user 'legacy-ci'``, ``role aws_iam_role.a and user aws_iam_user.b``."""
    names: list[str] = []
    for attr, rtype, noun in grantees:
        names += identity_names(res, attr, ctx, rtype, noun)
    return " and ".join(dict.fromkeys(names)) or "no identity yet"
