from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.iam.policy_grammar import Statement, pins
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.statement_rule import TrustStatementRule
from scanner.rules.base import Context, Problem

_ROOT_RE = re.compile(r"^(?:arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:iam::(\d{12}):root|(\d{12}))$")
_ARN_ACCOUNT_RE = re.compile(r"^arn:[\w-]+:iam::(\d{12}):")
#: Conditions that narrow "anyone in that account" to a specific caller or a known org.
SCOPING_KEYS = ("sts:ExternalId", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths")
MFA_KEY = "aws:MultiFactorAuthPresent"


def root_account(principal: object) -> str | None:
    """``123456789012`` for ``arn:aws:iam::123456789012:root`` or a bare account id."""
    m = _ROOT_RE.match(principal) if isinstance(principal, str) else None
    return (m.group(1) or m.group(2)) if m else None


def _own_accounts(res: Resource) -> set[str]:
    """The role's own account, when its ARN is known (an update in a plan)."""
    out: set[str] = set()
    for arn in (res.get("arn"), (res.before or {}).get("arn")):
        m = _ARN_ACCOUNT_RE.match(arn) if isinstance(arn, str) else None
        if m:
            out.add(m.group(1))
    return out


def _scoped(stmt: Statement) -> bool:
    if stmt.conditions_unknown or any(pins(c) for c in stmt.conditions_on(*SCOPING_KEYS)):
        return True
    # A role that requires MFA is assumed by people, not by workloads.
    return any(
        c.requires_match and c.values and all(str(v).lower() == "true" for v in c.values)
        for c in stmt.conditions_on(MFA_KEY)
    )


class CrossAccountRootTrust(TrustStatementRule):
    """## What it does
    Flags an `aws_iam_role` whose trust policy lets a whole AWS account assume it
    (`Principal = {"AWS": "arn:aws:iam::123456789012:root"}` or a bare 12-digit
    account id) without an `sts:ExternalId` condition or a condition that narrows the
    caller (`aws:PrincipalArn`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`) to
    specific values.

    Not reported: principals that are unknown before apply (an account id read from
    `data.aws_caller_identity` or a variable without default), the role's own account
    when its ARN is known (plan updates), statements already reported by
    NHI_AWS_020 (`Principal = "*"`), and roles whose statement requires
    `aws:MultiFactorAuthPresent = true` (assumed by people, not workloads). A
    condition block that cannot be read counts as narrowing.

    ## Why is this bad?
    Trusting an account's root delegates the decision to that account: every user
    and role there that has (or is later given) `sts:AssumeRole` on `*` gets in. For a
    vendor or CI account that is the confused-deputy problem `sts:ExternalId` exists
    for: any of the vendor's customers can ask the vendor to assume your role.

    ## Example
    A role for a vendor that trusts the vendor's whole account:
    ```hcl
    resource "aws_iam_role" "vendor" {
      name               = "vendor-audit"
      assume_role_policy = <<-EOF
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
          "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
      EOF
    }
    ```

    ## Use instead
    Require the external ID the vendor gives you:
    ```hcl
    resource "aws_iam_role" "vendor" {
      name               = "vendor-audit"
      assume_role_policy = data.aws_iam_policy_document.vendor.json
    }

    data "aws_iam_policy_document" "vendor" {
      statement {
        sid     = "VendorWithExternalId"
        actions = ["sts:AssumeRole"]
        principals {
          type        = "AWS"
          identifiers = ["arn:aws:iam::123456789012:root"]
        }
        condition {
          test     = "StringEquals"
          variable = "sts:ExternalId"
          values   = [var.vendor_external_id]
        }
      }
    }
    ```
    Or name the one role that needs access:
    `identifiers = ["arn:aws:iam::123456789012:role/deployer"]`.
    """

    id = "NHI_AWS_021"
    severity = Severity.HIGH
    title = "IAM role trusts another account's root without an external ID"
    fix = "Add an sts:ExternalId (or aws:PrincipalArn / aws:PrincipalOrgID) condition, or trust a specific role ARN."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if stmt.principal_is_anyone or _scoped(stmt):
            return
        own = _own_accounts(res)
        accounts = [a for a in (root_account(p) for p in stmt.principal_ids("AWS")) if a and a not in own]
        if not accounts:
            return
        shown = ", ".join(dict.fromkeys(accounts))
        plural = "s" if len(set(accounts)) > 1 else ""
        yield Problem(
            f"trusts every principal of AWS account{plural} {shown} ({stmt.label} of its trust policy names the "
            "account root) without a specific sts:ExternalId or aws:PrincipalArn condition"
        )
