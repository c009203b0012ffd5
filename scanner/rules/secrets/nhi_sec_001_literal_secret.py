from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.policy.credential_formats import AWS_KEY_PAIR, aws_key_ids, aws_secrets, single_credentials
from scanner.policy.redact import NOT_SECRET_KEY
from scanner.rules.base import Context, Rule, Violation
from scanner.rules.secrets.literal import Leaf, literal_leaves, literal_map_keys, literal_string

#: resource type -> (attribute, what the value is)
SECRET_ATTRIBUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "aws_secretsmanager_secret_version": (
        ("secret_string", "Secrets Manager secret value"),
        ("secret_string_wo", "Secrets Manager secret value"),
        ("secret_binary", "Secrets Manager secret value"),
    ),
    "aws_ssm_parameter": (("value", "SecureString parameter value"), ("value_wo", "SecureString parameter value")),
    "aws_db_instance": (("password", "database master password"), ("password_wo", "database master password")),
    "aws_rds_cluster": (
        ("master_password", "database master password"),
        ("master_password_wo", "database master password"),
    ),
    "azurerm_key_vault_secret": (("value", "Key Vault secret value"), ("value_wo", "Key Vault secret value")),
    "azurerm_mssql_server": (("administrator_login_password", "SQL administrator password"),),
    "google_secret_manager_secret_version": (
        ("secret_data", "Secret Manager secret value"),
        ("secret_data_wo", "Secret Manager secret value"),
    ),
    "google_sql_user": (("password", "database user password"),),
    "vault_generic_secret": (("data_json", "Vault secret data"),),
    "vault_kv_secret_v2": (("data_json", "Vault KV secret data"),),
    "vault_kv_secret": (("data_json", "Vault KV secret data"),),
    "github_actions_secret": (("plaintext_value", "GitHub Actions secret"),),
    "github_actions_environment_secret": (("plaintext_value", "GitHub Actions environment secret"),),
    "github_actions_organization_secret": (("plaintext_value", "GitHub Actions organization secret"),),
    "github_dependabot_secret": (("plaintext_value", "Dependabot secret"),),
}
#: the attribute that names a secret store entry: an entry named as configuration (`GH_USERNAME`,
#: `db-host`, `/app/db/port`) holds configuration, unless its value has a credential's format
ENTRY_NAMES = {
    **dict.fromkeys(
        ("github_actions_secret", "github_actions_environment_secret", "github_actions_organization_secret",
         "github_dependabot_secret"),
        "secret_name",
    ),
    "azurerm_key_vault_secret": "name",
    "aws_ssm_parameter": "name",
}
#: Kubernetes Secret maps: every key is secret data, except ones that plainly are not (`username`, `host`).
K8S_SECRET_TYPES = ("kubernetes_secret", "kubernetes_secret_v1")
K8S_MAPS = ("data", "binary_data")


class LiteralSecret(Rule):
    """## What it does
    Flags a secret value written literally in the Terraform code: the value of a
    secret store entry (`aws_secretsmanager_secret_version`, `azurerm_key_vault_secret`,
    `google_secret_manager_secret_version`, `vault_generic_secret`, `vault_kv_secret_v2`,
    a `SecureString` `aws_ssm_parameter`), the `data` / `binary_data` of a Kubernetes
    Secret, a GitHub Actions `plaintext_value`, or a database password
    (`aws_db_instance.password`, `aws_rds_cluster.master_password`, ...).

    A value counts as literal when it is a known string that references nothing:
    a quoted string, `jsonencode` of a literal map, a local, or a variable *default*
    (the secret is still in the code). A value read from a variable without default,
    a data source, `random_password`, `file()` or an ephemeral resource is not reported.
    Kubernetes Secret keys that plainly hold no credential (`username`, `host`, `port`,
    `database`, ...) are ignored, and so are secret store entries named that way (a GitHub
    Actions secret `GH_USERNAME`, a Key Vault secret `sql-admin-username`, an SSM parameter
    `/app/db/host`) unless their value has a credential's format. For a plan without
    `configuration` nothing is reported, because a constant cannot be told apart from a
    reference there.

    Any resource, whatever the attribute is called, is also searched for credentials of
    well-known formats: an AWS access key ID *together with* its 40-character secret
    (a Lambda `environment`, EC2 `user_data`, base64-encoded launch template user data,
    an ECS container definition, a Kubernetes env var...), GitHub (`ghp_`, `github_pat_`),
    GitLab (`glpat-`), Slack (`xoxb-`, webhook URLs) and Google API (`AIza`) tokens, and
    PEM private key blocks with a body. Placeholders (`ghp_xxxx...`, too few distinct
    characters) and AWS's documentation example keys are not credentials. A value that
    comes from a variable without default, a data source or a module output is not
    literal. The message names the attribute and the kind of credential, never the value.

    ## Why is this bad?
    The secret is now in Git history, in every clone and fork, in the CI logs of every
    plan, in the chat transcript it came from, and in Terraform state. Rotating it means
    rewriting history. Storing it in a secret manager afterwards protects nothing.

    ## Example
    ```hcl
    resource "aws_secretsmanager_secret_version" "db" {
      secret_id     = aws_secretsmanager_secret.db.id
      secret_string = jsonencode({ username = "app", password = "Sup3r-S3cret!" })
    }
    ```

    ## Use instead
    Generate the secret where it is needed, or pass it in at apply time.
    ```hcl
    resource "random_password" "db" {
      length  = 32
      special = true
    }

    resource "aws_secretsmanager_secret_version" "db" {
      secret_id     = aws_secretsmanager_secret.db.id
      secret_string = jsonencode({ username = "app", password = random_password.db.result })
    }
    ```
    For databases, prefer `manage_master_user_password = true` (RDS) so the password
    never passes through Terraform at all.
    """

    id = "NHI_SEC_001"
    category = Category.SECRET_EXPOSURE
    severity = Severity.CRITICAL
    title = "Secret value written literally in the code"
    fix = (
        "Remove the literal and rotate the secret; generate it (random_password, managed passwords) or "
        "pass it in at apply time from a secret store."
    )
    #: every managed resource: a credential of a well-known format is a secret whatever holds it
    resource_patterns = ("*",)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield from _secret_attributes(res)
        yield from _credential_formats(res)


def _secret_attributes(res: Resource) -> Iterable[Violation]:
    if res.type in K8S_SECRET_TYPES:
        for attr in K8S_MAPS:
            keys = literal_map_keys(res, attr)
            if keys:
                names = ", ".join(f"`{k}`" for k in keys)
                yield Violation(
                    f"{res.address} writes Kubernetes Secret data literally in `{attr}` (key(s) {names})",
                    attr,
                    key=attr,
                )
        return
    if res.type == "aws_ssm_parameter" and res.get("type") != "SecureString":
        return
    if _configuration_entry(res):
        return  # its value is still judged by its format below
    for attr, what in SECRET_ATTRIBUTES.get(res.type, ()):
        if literal_string(res, attr) is not None:
            yield Violation(f"{res.address} writes a {what} literally in `{attr}`", attr, key=attr)


def _configuration_entry(res: Resource) -> bool:
    """A secret store entry whose name says it holds configuration: a username, host or region kept
    next to the secrets that use it (``GH_USERNAME``, ``sql-admin-username``, ``/app/db/port``)."""
    name = res.get(ENTRY_NAMES.get(res.type, ""))
    return isinstance(name, str) and bool(NOT_SECRET_KEY.match(name.rsplit("/", 1)[-1]))


def _credential_formats(res: Resource) -> Iterable[Violation]:
    """Credentials recognised by their format in any attribute the attribute rules above do not read.

    An AWS key pair is reported where its secret is (the key ID alone is no secret).
    """
    skip: tuple[str, ...] = K8S_MAPS if res.type in K8S_SECRET_TYPES else ()
    if (res.type != "aws_ssm_parameter" or res.get("type") == "SecureString") and not _configuration_entry(res):
        skip += tuple(attr for attr, _what in SECRET_ATTRIBUTES.get(res.type, ()))
    leaves = list(literal_leaves(res, skip))
    found: dict[tuple[str, str], Leaf] = {}
    for leaf in leaves:
        for match in single_credentials(leaf.text):
            found.setdefault((leaf.shown, match.what), leaf)
    if any(aws_key_ids(leaf.text) for leaf in leaves):
        for leaf in leaves:
            if aws_secrets(leaf.text):
                found.setdefault((leaf.shown, AWS_KEY_PAIR), leaf)
    for (shown, what), leaf in found.items():
        yield Violation(
            f"{res.address} writes {what} literally in `{shown}`", leaf.path, key=f"{shown}:{what}"
        )
