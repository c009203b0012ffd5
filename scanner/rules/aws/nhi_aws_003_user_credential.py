from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import is_missing
from scanner.rules.base import Context, Rule, Violation

#: type -> (attribute naming the user, what the credential is)
CREDENTIALS = {
    "aws_iam_user_login_profile": ("user", "a console password"),
    "aws_iam_service_specific_credential": ("user_name", "a service-specific credential"),
    "aws_iam_signing_certificate": ("user_name", "a signing certificate"),
}


class UserCredentialNeverExpires(Rule):
    """## What it does
    Flags the IAM user credentials other than access keys (NHI_AWS_001), which live
    until someone deletes them:

    * `aws_iam_user_login_profile`: a console password (high). It expires only if
      the account's password policy sets `max_password_age`, and a machine
      identity should not have one at all.
    * `aws_iam_service_specific_credential`: a user name and password for
      CodeCommit or Amazon Keyspaces, or a Bedrock API key (high). A Bedrock key
      with `credential_age_days` expires, and is judged by NHI_EXP_002 instead.
    * `aws_iam_signing_certificate`: an X.509 certificate the user signs requests
      with (medium: it stops working when the certificate expires).

    A credential created with `status = "Inactive"` is not reported.

    ## Why is this bad?
    Like an access key, each of these is a long-lived secret of the user (OWASP NHI7):
    whoever holds the password, the service password or the certificate's private
    key acts as the user, from anywhere, until someone notices and deletes it. The
    service password is also written to Terraform state.

    ## Example
    ```hcl
    resource "aws_iam_service_specific_credential" "ci_git" {
      service_name = "codecommit.amazonaws.com"
      user_name    = aws_iam_user.ci.name
    }
    ```

    ## Use instead
    Let the workload assume a role: CodeCommit over HTTPS with the `git-remote-codecommit`
    helper and the role's temporary credentials, Keyspaces with the SigV4 plugin, Bedrock
    with IAM. Where a Bedrock API key is unavoidable, give it a short lifetime:
    ```hcl
    resource "aws_iam_service_specific_credential" "bedrock" {
      service_name        = "bedrock.amazonaws.com"
      user_name           = aws_iam_user.ci.name
      credential_age_days = 30
    }
    ```
    """

    id = "NHI_AWS_003"
    category = Category.EXPIRY
    severity = Severity.HIGH
    title = "IAM user console password, service-specific credential or signing certificate never expires"
    fix = "Delete the credential and let the workload assume a role; give a Bedrock API key credential_age_days."
    resource_types = tuple(CREDENTIALS)
    cross_resource = True  # names the user through the model

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.get("status") == "Inactive":
            return
        user_attr, what = CREDENTIALS[res.type]
        users = ctx.model.referenced(res, user_attr, "aws_iam_user")
        user = res.get(user_attr)
        if users:
            whose = f"IAM user {users[0].address}"
        else:
            whose = f"IAM user '{user}'" if isinstance(user, str) else "its IAM user"
        if res.type == "aws_iam_service_specific_credential":
            if not is_missing(res.get("credential_age_days")):
                return  # expires (or expires at a time known at apply): NHI_EXP_002's
            service = res.get("service_name")
            what = f"{what} for {service}" if isinstance(service, str) else what
        if res.type == "aws_iam_signing_certificate":
            yield Violation(
                f"{res.address} gives {whose} {what}; it stays valid until its certificate expires or it is "
                "deleted",
                "certificate_body",
                severity=Severity.MEDIUM,
            )
            return
        never = (
            "that expires only if the account password policy sets max_password_age"
            if res.type == "aws_iam_user_login_profile"
            else "that never expires"
        )
        yield Violation(f"{res.address} gives {whose} {what} {never}", user_attr)
