"""AWS actions that hand out credentials or secret values.

NHI_AWS_043 reports them on every resource; NHI_AWS_044 leaves them to it.
"""

from __future__ import annotations

#: Actions that return credentials or secrets (after Cloudsplaining's ACTIONS_THAT_RETURN_CREDENTIALS
#: and Parliament's CREDENTIALS_EXPOSURE), limited to those that support resource-level permissions,
#: so that "*" is always wider than needed.
CREDENTIAL_ACTIONS = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "rds-db:connect",
    "ec2:GetPasswordData",
    "lightsail:GetInstanceAccessDetails",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
)
