from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.model.values import is_missing, is_unknown
from scanner.rules.base import Context, Violation
from scanner.rules.lifetime import NeverExpiresRule

ROTATION_TYPE = "aws_secretsmanager_secret_rotation"


class SecretWithoutRotation(NeverExpiresRule):
    """## What it does
    Flags an `aws_secretsmanager_secret` that no `aws_secretsmanager_secret_rotation`
    in the same module points at (through `secret_id`).

    A secret still counts as rotated when it carries the pre-v5 provider arguments
    `rotation_lambda_arn` / `rotation_rules` itself. When some rotation resource's
    `secret_id` is unknown and cannot be linked to a secret in the scan (a variable,
    a `for_each` over secrets defined elsewhere), nothing is reported: that rotation
    may be this secret's. A secret that a plan only updates is not reported either:
    its rotation, if unchanged, is a `no-op` entry that plan scans skip by default
    (the secret was reportable when it was created).

    ## Why is this bad?
    A secret that is never rotated is a long-lived credential (OWASP NHI7): whoever
    copied it once, from a log, a laptop or a former employee's notes, keeps access
    for as long as the secret exists. Secrets Manager can rotate it on a schedule,
    but only when rotation is configured.

    ## Example
    ```hcl
    resource "aws_secretsmanager_secret" "db" {
      name = "prod/orders/db"
    }
    ```

    ## Use instead
    ```hcl
    resource "aws_secretsmanager_secret" "db" {
      name = "prod/orders/db"
    }

    resource "aws_secretsmanager_secret_rotation" "db" {
      secret_id           = aws_secretsmanager_secret.db.id
      rotation_lambda_arn = aws_lambda_function.rotate_db.arn
      rotation_rules {
        automatically_after_days = 30
      }
    }
    ```
    For RDS, `manage_master_user_password = true` lets AWS create and rotate the secret.
    """

    id = "NHI_AWS_002"
    severity = Severity.MEDIUM
    title = "Secrets Manager secret is never rotated"
    fix = "Add an aws_secretsmanager_secret_rotation with rotation_rules for this secret (or use a managed secret)."
    resource_types = ("aws_secretsmanager_secret",)
    cross_resource = True

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.action == "update":
            return  # an unchanged rotation is a no-op the plan scan does not load
        if not is_missing(res.get("rotation_lambda_arn")) or not is_missing(res.get("rotation_rules")):
            return
        if ctx.model.referrers(res, "secret_id", ROTATION_TYPE):
            return
        if any(_unlinked(rot, res, ctx) for rot in ctx.model.of_type(ROTATION_TYPE)):
            return
        yield Violation(f"secret {res.address} has no aws_secretsmanager_secret_rotation; it is never rotated")


def _unlinked(rotation: Resource, secret: Resource, ctx: Context) -> bool:
    """A rotation in the secret's scope whose target cannot be determined."""
    if ctx.model.scope(rotation) != ctx.model.scope(secret):
        return False
    if ctx.model.referenced(rotation, "secret_id", "aws_secretsmanager_secret"):
        return False
    return is_unknown(rotation.get("secret_id"))
