from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from scanner.iam.managed import managed_policy
from scanner.iam.policy_grammar import parse_policy, policy_document
from scanner.iam.policy_lookup import statements_at
from scanner.iam.principals import aws_managed_name, aws_managed_path
from scanner.iam.widening import widening
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import as_list
from scanner.rules.base import Context, Violation
from scanner.rules.plan_update import WideningRule

POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")


class PlanWidensPolicy(WideningRule):
    r"""## What it does
    For a resource a plan **updates** in place, compares each IAM policy before and
    after the change and reports a privilege widening that lists exactly what the
    update adds:

    * permission policies (`aws_iam_policy`, `aws_iam_{role,user,group}_policy`,
      `aws_iam_role.inline_policy` by name): actions, resources, conditions dropped
      or widened, `Deny` statements removed;
    * trust policies (`aws_iam_role.assume_role_policy`): principals, conditions
      dropped, and subjects widened (`:sub` values that admit more than before);
    * `aws_iam_role.managed_policy_arns`: policies added, with what an AWS managed policy
      allows when nhi-guard has its document.

    An added element already covered by the old policy (`s3:GetObject` when
    `s3:*` was there, a resource under an old wildcard) is not reported. Values
    unknown before apply are not compared. Only plan JSON has a *before*; HCL and
    chat answers never trigger this rule.

    ## Why is this bad?
    A role that was least-privilege yesterday and gets `iam:*` today may still not
    match any wildcard rule tomorrow: `iam:AttachRolePolicy` is one action. Reviews
    of an update see a diff of a JSON string; this finding says in one line which
    permissions, principals or conditions the change really adds, so the widening is
    approved on purpose or not at all.

    ## Example
    A plan that updates the CI role's policy from `s3:GetObject` on one bucket to `s3:GetObject` and
    `iam:AttachRolePolicy` on every resource:
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "aws_iam_role_policy.ci", "mode": "managed",
      "type": "aws_iam_role_policy", "name": "ci", "change": {"actions": ["update"],
      "before":{"role":"ci","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::acme-artifacts/*\"}]}"},
      "after":{"role":"ci","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"iam:AttachRolePolicy\"],\"Resource\":\"*\"}]}"}}}]}
    ```

    ## Use instead
    Keep an update to what the change needs; one that adds nothing, such as this one narrowing `s3:*` to
    the two actions the job uses, is not reported. A permission the change needs is best given in a
    policy of its own, which the other rules judge when it is created.
    ```json
    {"format_version": "1.2", "resource_changes": [{
      "address": "aws_iam_role_policy.ci", "mode": "managed", "type": "aws_iam_role_policy", "name": "ci",
      "change": {"actions": ["update"],
        "before":{"role":"ci","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::acme-artifacts/*\"}]}"},
        "after":{"role":"ci","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::acme-artifacts/*\"}]}"}}}]}
    ```
    """

    id = "NHI_AWS_050"
    severity = Severity.HIGH
    title = "Plan widens an existing IAM policy (privilege widening)"
    fix = "Review the added permissions; keep only what the change needs and record the approval."
    resource_types = (*POLICY_TYPES, "aws_iam_role")
    cross_resource = True  # the new policy may be read from a deferred aws_iam_policy_document

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        for path, label, old, new, trust in _pairs(res, ctx):
            if not old:
                continue
            found = widening(old, new, trust=trust)
            if not found:
                continue
            only_targets = not (found.actions or found.conditions or found.denies)
            yield Violation(
                f"privilege widening: this update of {label} "
                + found.describe("principals" if trust else "resources"),
                path=path,
                key=path,
                severity=Severity.MEDIUM if only_targets and not trust else Severity.HIGH,
            )
        if res.type == "aws_iam_role":
            attached = set(_strings(before.get("managed_policy_arns")))
            added = [a for a in _strings(res.get("managed_policy_arns")) if a not in attached]
            if added and attached is not None:
                names = [_managed_grants(a) for a in added]
                yield Violation(
                    f"privilege widening: this update of role {res.address} attaches "
                    f"{', '.join(names)} through managed_policy_arns",
                    path="managed_policy_arns",
                    key="managed_policy_arns",
                )


def _managed_grants(arn: str) -> str:
    """``AWSLambda_FullAccess (allows lambda:*, iam:PassRole, ... 4 more)``, or the name or ARN as written.

    Only the AWS managed policies nhi-guard vendors (scanner/iam/managed.py) have a known
    document; for the others the name alone is all a reviewer gets.
    """
    name = aws_managed_name(arn)
    if name is None:
        return arn
    policy = managed_policy(name, aws_managed_path(arn))
    if policy is None:
        return name
    actions = list(
        dict.fromkeys(
            a for st in policy.statements if st.is_allow for a in (st.actions or ("NotAction",)) if isinstance(a, str)
        )
    )
    if not actions:
        return name
    shown = ", ".join(actions[:_SHOWN])
    more = f", ... {len(actions) - _SHOWN} more" if len(actions) > _SHOWN else ""
    return f"{name} (allows {shown}{more})"


_SHOWN = 5


def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def _pairs(res: Resource, ctx: Context) -> Iterator[tuple[str, str, list[Any], list[Any], bool]]:
    before = res.before or {}
    if res.type in POLICY_TYPES:
        yield "policy", f"{res.address}", _old(before.get("policy")), statements_at(res, "policy", ctx), False
        return
    yield (
        "assume_role_policy",
        f"the trust policy of role {res.address}",
        _old(before.get("assume_role_policy")),
        statements_at(res, "assume_role_policy", ctx),
        True,
    )
    blocks = [b for b in as_list(before.get("inline_policy")) if isinstance(b, Mapping)]
    # a name that is not a string (malformed plan JSON) cannot be matched across the update
    old_inline = {b["name"]: b.get("policy") for b in blocks if isinstance(b.get("name"), str)}
    for i, block in enumerate(as_list(res.attrs.get("inline_policy"))):
        name = block.get("name") if isinstance(block, Mapping) else None
        if not isinstance(name, str) or name not in old_inline:
            continue
        path = f"inline_policy.{i}.policy"
        yield (
            path,
            f"role {res.address} inline policy '{name}'",
            _old(old_inline[name]),
            statements_at(res, path, ctx),
            False,
        )


def _old(value: Any) -> list[Any]:
    return parse_policy(value) if policy_document(value) is not None else []
