"""Deterministic, seeded workloads for the benchmark.

* ``plan_json(n)``: ``terraform show -json`` output with exactly ``n`` resource changes: module
  calls with ``for_each`` and ``count``, nested modules, the NHI types of scanner/model/nhi_types.py
  mixed with the ordinary infrastructure around them, IAM policies as JSON strings, values
  known only after apply, sensitive values (literal and computed), updates, replacements,
  deletes and no-ops, ``planned_values``, ``configuration`` with references, and outputs.
  Minified on one line, as Terraform writes it.
* ``hcl_tree(root, files)``: a tree of ``.tf`` files, five per module directory: versions and
  providers with ``default_tags``, variables with defaults and validation, locals with ``merge``,
  IAM policy documents (data source, ``jsonencode``, heredoc), identities, keys, secrets,
  ordinary resources with nested blocks, module calls and outputs; plus, in each team directory
  whose services call it, the local ``modules/worker`` module they call with ``for_each`` (one
  more file per team: the calls are expanded, as Terraform expands them).
* ``chat_answer(blocks)``: a Markdown chat answer with ``blocks`` fenced blocks: hcl, terraform,
  tf, unlabelled HCL, and other languages in between.

The same seed always gives byte-identical output (no set iteration, no clock, no hash order).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

SEED = 20261101
ACCOUNT = "123456789012"
TEAMS = ["payments", "platform", "data", "search", "identity", "checkout", "ml", "growth", "infra", "security"]
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
SERVICES = ["s3", "dynamodb", "sqs", "sns", "kms", "logs", "lambda", "ec2", "ecr", "secretsmanager", "ssm", "sts"]
VERBS = ["Get*", "List*", "Describe*", "Put*", "Create*", "Delete*", "Update*", "Tag*", "*"]
GCP_ROLES = ["roles/storage.objectViewer", "roles/pubsub.publisher", "roles/editor", "roles/owner",
             "roles/cloudsql.client", "roles/logging.logWriter", "roles/secretmanager.secretAccessor"]
AZ_ROLES = ["Reader", "Contributor", "Owner", "Storage Blob Data Reader", "Key Vault Secrets User"]


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counter = 0

    def pick(self, items: list[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def token(self, n: int = 20, alphabet: str = _ALNUM) -> str:
        return "".join(alphabet[self.rng.randrange(len(alphabet))] for _ in range(n))

    def uid(self) -> int:
        self.counter += 1
        return self.counter

    def governance(self, complete: float = 0.6) -> dict[str, str]:
        tags = {"owner": f"team-{self.pick(TEAMS)}", "environment": self.pick(["prod", "staging", "dev"])}
        if self.chance(complete):
            req, appr = self.rng.sample(PEOPLE, 2)
            tags.update(requested_by=req, approved_by=appr, change_ticket=f"CHG-{self.rng.randrange(1000, 9999)}")
        if self.chance(0.3):
            tags["expires"] = f"202{self.rng.randrange(6, 9)}-{self.rng.randrange(1, 13):02d}-28"
        if self.chance(0.15):
            del tags["owner"]
        return tags

    def policy(self, statements: int | None = None) -> dict[str, Any]:
        out = []
        for i in range(statements or self.rng.randrange(1, 5)):
            svc = self.pick(SERVICES)
            actions = sorted({f"{svc}:{self.pick(VERBS)}" for _ in range(self.rng.randrange(1, 6))})
            if self.chance(0.04):
                actions = ["*"]
            resource: Any = f"arn:aws:{svc}:eu-west-1:{ACCOUNT}:{self.token(8).lower()}/*"
            if self.chance(0.2):
                resource = "*"
            out.append({"Sid": f"S{i}", "Effect": "Allow", "Action": actions, "Resource": resource})
        return {"Version": "2012-10-17", "Statement": out}

    def trust(self) -> dict[str, Any]:
        roll = self.rng.random()
        if roll < 0.6:
            principal: Any = {"Service": f"{self.pick(['ec2', 'lambda', 'ecs-tasks', 'eks'])}.amazonaws.com"}
            stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        elif roll < 0.85:
            stmt = {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": self.pick(
                    ["repo:acme/app:ref:refs/heads/main", "repo:acme/*", "repo:acme/infra:environment:prod"])}},
            }
        else:
            stmt = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.rng.randrange(10**11, 10**12)}:root"},
                    "Action": "sts:AssumeRole"}
        return {"Version": "2012-10-17", "Statement": [stmt]}


# --- plan JSON ------------------------------------------------------------------------------

# A resource kind: type, then a builder returning (after, after_unknown, after_sensitive, expressions).
Built = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]
_C = "constant_value"


def _ref(*refs: str) -> dict[str, Any]:
    return {"references": list(refs)}


def _aws_role(g: _Gen, name: str) -> Built:
    tags = g.governance()
    after = {"name": name, "path": "/", "description": f"{name} workload role", "max_session_duration": 3600,
             "assume_role_policy": json.dumps(g.trust()), "force_detach_policies": False,
             "permissions_boundary": None, "tags": tags, "tags_all": tags}
    unknown = {"arn": True, "create_date": True, "id": True, "inline_policy": True, "managed_policy_arns": True,
               "unique_id": True, "tags": {}, "tags_all": {}}
    expr = {"name": _ref("var.name"), "assume_role_policy": _ref("data.aws_iam_policy_document.trust.json",
                                                                  "data.aws_iam_policy_document.trust"),
            "tags": _ref("local.tags")}
    return after, unknown, {}, expr


def _aws_user(g: _Gen, name: str) -> Built:
    tags = g.governance(0.4)
    after = {"name": name, "path": "/system/", "force_destroy": False, "permissions_boundary": None,
             "tags": tags, "tags_all": tags}
    return after, {"arn": True, "id": True, "unique_id": True, "tags": {}, "tags_all": {}}, {}, {
        "name": _ref("var.name"), "tags": _ref("local.tags")}


def _aws_access_key(g: _Gen, name: str) -> Built:
    after = {"pgp_key": None, "status": "Active", "user": name}
    unknown = {"create_date": True, "encrypted_secret": True, "encrypted_ses_smtp_password_v4": True, "id": True,
               "key_fingerprint": True, "secret": True, "ses_smtp_password_v4": True}
    return after, unknown, {"secret": True, "ses_smtp_password_v4": True}, {
        "user": _ref("aws_iam_user.this.name", "aws_iam_user.this")}


def _aws_policy(g: _Gen, name: str) -> Built:
    after = {"name": f"{name}-policy", "path": "/", "description": "workload permissions",
             "policy": json.dumps(g.policy()), "tags": None}
    return after, {"arn": True, "attachment_count": True, "id": True, "policy_id": True, "tags_all": True}, {}, {
        "name": {_C: f"{name}-policy"}, "policy": _ref("data.aws_iam_policy_document.this.json",
                                                       "data.aws_iam_policy_document.this")}


def _aws_role_policy(g: _Gen, name: str) -> Built:
    after = {"name": f"{name}-inline", "role": name, "policy": json.dumps(g.policy(2)), "name_prefix": None}
    return after, {"id": True}, {}, {"role": _ref("aws_iam_role.this.id", "aws_iam_role.this"),
                                     "policy": {}}


def _aws_attachment(g: _Gen, name: str) -> Built:
    arn = g.pick(["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                  "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"])
    return {"role": name, "policy_arn": arn}, {"id": True}, {}, {
        "role": _ref("aws_iam_role.this.name", "aws_iam_role.this"), "policy_arn": {_C: arn}}


def _aws_secret(g: _Gen, name: str) -> Built:
    tags = g.governance()
    after = {"name": f"{name}/db", "description": "database credentials", "kms_key_id": None,
             "recovery_window_in_days": 7, "force_overwrite_replica_secret": False, "tags": tags, "tags_all": tags}
    return after, {"arn": True, "id": True, "policy": True, "replica": True, "tags_all": {}}, {}, {
        "name": {_C: f"{name}/db"}, "tags": _ref("local.tags")}


def _aws_secret_version(g: _Gen, name: str) -> Built:
    value = json.dumps({"username": name, "password": g.token(24)}) if g.chance(0.5) else None
    after = {"secret_string": value, "secret_binary": None, "secret_string_wo": None}
    unknown = {"arn": True, "id": True, "version_id": True, "version_stages": True}
    if value is None:
        unknown["secret_string"] = True
    return after, unknown, {"secret_string": True, "secret_binary": True, "secret_string_wo": True}, {
        "secret_id": _ref("aws_secretsmanager_secret.this.id", "aws_secretsmanager_secret.this"),
        "secret_string": _ref("random_password.db.result", "random_password.db")}


def _random_password(g: _Gen, name: str) -> Built:
    after = {"length": 32, "special": True, "upper": True, "lower": True, "numeric": True, "min_special": 2,
             "override_special": "!#$%", "keepers": None}
    return after, {"bcrypt_hash": True, "id": True, "result": True}, {"bcrypt_hash": True, "result": True}, {
        "length": {_C: 32}}


def _s3_bucket(g: _Gen, name: str) -> Built:
    tags = {"owner": f"team-{g.pick(TEAMS)}", "data_class": g.pick(["public", "internal", "confidential"])}
    after = {"bucket": f"{name}-{g.token(6).lower()}", "force_destroy": False, "object_lock_enabled": False,
             "tags": tags, "tags_all": tags, "timeouts": None}
    unknown = {"acceleration_status": True, "acl": True, "arn": True, "bucket_domain_name": True, "cors_rule": True,
               "grant": True, "hosted_zone_id": True, "id": True, "lifecycle_rule": True, "logging": True,
               "policy": True, "region": True, "replication_configuration": True, "request_payer": True,
               "server_side_encryption_configuration": True, "versioning": True, "website": True,
               "tags": {}, "tags_all": {}}
    return after, unknown, {}, {"bucket": _ref("var.name"), "tags": _ref("local.tags")}


def _lambda(g: _Gen, name: str) -> Built:
    env = {"LOG_LEVEL": g.pick(["info", "debug"]), "TABLE": f"{name}-table", "REGION": "eu-west-1"}
    after = {"function_name": name, "handler": "main.handler", "runtime": "python3.12", "memory_size": 512,
             "timeout": 30, "publish": False, "environment": [{"variables": env}],
             "tracing_config": [{"mode": "Active"}], "vpc_config": [], "tags": None}
    unknown = {"arn": True, "id": True, "invoke_arn": True, "last_modified": True, "qualified_arn": True,
               "role": True, "source_code_hash": True, "version": True, "environment": [{"variables": {}}],
               "tracing_config": [{}], "tags_all": True}
    return after, unknown, {"environment": [{"variables": {}}]}, {
        "function_name": _ref("var.name"), "role": _ref("aws_iam_role.this.arn", "aws_iam_role.this")}


def _log_group(g: _Gen, name: str) -> Built:
    return {"name": f"/aws/lambda/{name}", "retention_in_days": g.pick([14, 30, 90]), "kms_key_id": None,
            "skip_destroy": False, "tags": None}, {"arn": True, "id": True, "tags_all": True}, {}, {
        "name": {_C: f"/aws/lambda/{name}"}}


def _security_group(g: _Gen, name: str) -> Built:
    rules = [{"from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "description": "",
              "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}
             for p in g.rng.sample([22, 80, 443, 5432, 6379, 8080], 2)]
    return {"name": f"{name}-sg", "description": "managed", "ingress": rules, "revoke_rules_on_delete": False,
            "tags": None}, {"arn": True, "egress": True, "id": True, "owner_id": True, "vpc_id": True,
                            "tags_all": True}, {}, {"vpc_id": _ref("var.vpc_id")}


def _gcp_sa(g: _Gen, name: str) -> Built:
    gov = g.governance(0.5)
    desc = " ".join(f"{k}={v}" for k, v in gov.items()) if g.chance(0.8) else "workload identity"
    return {"account_id": name[:28], "display_name": name, "description": desc, "disabled": False,
            "project": "acme-prod", "create_ignore_already_exists": None, "timeouts": None}, {
        "email": True, "id": True, "member": True, "name": True, "unique_id": True}, {}, {
        "account_id": _ref("var.name"), "description": {_C: desc}}


def _gcp_sa_key(g: _Gen, name: str) -> Built:
    return {"key_algorithm": "KEY_ALG_RSA_2048", "private_key_type": "TYPE_GOOGLE_CREDENTIALS_FILE",
            "public_key_type": "TYPE_X509_PEM_FILE", "keepers": None, "public_key_data": None}, {
        "id": True, "name": True, "private_key": True, "public_key": True, "service_account_id": True,
        "valid_after": True, "valid_before": True}, {"private_key": True}, {
        "service_account_id": _ref("google_service_account.this.name", "google_service_account.this")}


def _gcp_member(g: _Gen, name: str) -> Built:
    role = g.pick(GCP_ROLES)
    return {"project": "acme-prod", "role": role, "condition": []}, {"etag": True, "id": True, "member": True}, {}, {
        "role": {_C: role}, "member": _ref("google_service_account.this.member", "google_service_account.this")}


def _gcp_secret(g: _Gen, name: str) -> Built:
    labels = {k: v for k, v in g.governance().items() if k != "expires"}
    return {"secret_id": name, "project": "acme-prod", "labels": labels, "effective_labels": labels,
            "terraform_labels": labels, "replication": [{"auto": [{"customer_managed_encryption": []}],
                                                        "user_managed": []}],
            "rotation": [], "ttl": g.pick([None, "7776000s"]), "expire_time": None, "annotations": None}, {
        "create_time": True, "id": True, "name": True, "version_aliases": True}, {}, {
        "secret_id": _ref("var.name"), "labels": _ref("local.labels")}


def _gcs_bucket(g: _Gen, name: str) -> Built:
    return {"name": f"{name}-{g.token(6).lower()}", "location": "EU", "force_destroy": False,
            "uniform_bucket_level_access": True, "storage_class": "STANDARD", "labels": None,
            "versioning": [{"enabled": True}]}, {"id": True, "self_link": True, "url": True,
                                                 "effective_labels": True}, {}, {"name": _ref("var.name")}


def _az_app(g: _Gen, name: str) -> Built:
    gov = g.governance(0.5)
    return {"display_name": name, "notes": " ".join(f"{k}={v}" for k, v in gov.items()),
            "owners": [g.token(8).lower()] if g.chance(0.6) else [], "sign_in_audience": "AzureADMyOrg",
            "tags": ["terraform"]}, {"application_id": True, "client_id": True, "id": True, "object_id": True,
                                     "owners": False}, {}, {"display_name": _ref("var.name")}


def _az_password(g: _Gen, name: str) -> Built:
    end = g.pick([None, "2026-12-31T00:00:00Z", "2027-06-30T00:00:00Z"])
    after = {"display_name": f"{name}-secret", "end_date": end, "end_date_relative": None, "rotate_when_changed": None}
    unknown = {"application_id": True, "id": True, "key_id": True, "start_date": True, "value": True}
    if end is None:
        unknown["end_date"] = True
    return after, unknown, {"value": True}, {
        "application_id": _ref("azuread_application.this.id", "azuread_application.this")}


def _az_role(g: _Gen, name: str) -> Built:
    role = g.pick(AZ_ROLES)
    return {"role_definition_name": role, "scope": f"/subscriptions/{g.token(8).lower()}", "condition": None,
            "description": None, "skip_service_principal_aad_check": False}, {
        "id": True, "name": True, "principal_id": True, "principal_type": True, "role_definition_id": True}, {}, {
        "role_definition_name": {_C: role},
        "principal_id": _ref("azurerm_user_assigned_identity.this.principal_id",
                             "azurerm_user_assigned_identity.this")}


def _az_identity(g: _Gen, name: str) -> Built:
    tags = g.governance()
    return {"name": name, "location": "westeurope", "resource_group_name": "rg-prod", "tags": tags}, {
        "client_id": True, "id": True, "principal_id": True, "tenant_id": True}, {}, {"tags": _ref("local.tags")}


def _kv_secret(g: _Gen, name: str) -> Built:
    value = g.token(32)
    return {"name": name, "value": value, "content_type": "password", "expiration_date": g.pick(
        [None, "2027-01-31T00:00:00Z"]), "not_before_date": None, "tags": g.governance()}, {
        "id": True, "key_vault_id": True, "resource_id": True, "version": True, "versionless_id": True}, {
        "value": True}, {"value": _ref("random_password.db.result", "random_password.db")}


def _k8s_sa(g: _Gen, name: str) -> Built:
    gov = g.governance()
    meta = [{"name": name, "namespace": g.pick(["apps", "batch", "default"]), "labels": {"app": name},
             "annotations": gov, "generate_name": None}]
    return {"metadata": meta, "automount_service_account_token": True, "image_pull_secret": [],
            "secret": []}, {"default_secret_name": True, "id": True,
                            "metadata": [{"generation": True, "resource_version": True, "uid": True}]}, {}, {
        "metadata": [{"name": _ref("var.name"), "annotations": _ref("local.annotations")}]}


def _k8s_secret(g: _Gen, name: str) -> Built:
    data = {"username": name, "password": g.token(20)}
    return {"metadata": [{"name": f"{name}-creds", "namespace": "apps", "labels": {"app": name},
                          "annotations": g.governance()}], "data": data, "type": "Opaque", "immutable": False,
            "binary_data": None, "wait_for_service_account_token": True}, {
        "id": True, "metadata": [{"generation": True, "resource_version": True, "uid": True}]}, {
        "data": True, "binary_data": True}, {"metadata": [{"name": {_C: f"{name}-creds"}}]}


def _k8s_binding(g: _Gen, name: str) -> Built:
    role = g.pick(["view", "edit", "cluster-admin"])
    return {"metadata": [{"name": f"{name}-binding", "labels": None, "annotations": None}],
            "role_ref": [{"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}],
            "subject": [{"kind": "ServiceAccount", "name": name, "namespace": "apps", "api_group": ""}]}, {
        "id": True, "metadata": [{"generation": True, "resource_version": True, "uid": True}]}, {}, {
        "role_ref": [{"name": {_C: role}}]}


def _k8s_deploy(g: _Gen, name: str) -> Built:
    container = {"name": name, "image": f"registry.acme.io/{name}:{g.token(7).lower()}",
                 "port": [{"container_port": 8080, "protocol": "TCP"}],
                 "resources": [{"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m"}}],
                 "env": [{"name": "LOG_LEVEL", "value": "info"}]}
    spec = [{"replicas": "2", "selector": [{"match_labels": {"app": name}}],
             "template": [{"metadata": [{"labels": {"app": name}}],
                           "spec": [{"service_account_name": name, "container": [container]}]}]}]
    return {"metadata": [{"name": name, "namespace": "apps", "labels": {"app": name}}], "spec": spec,
            "wait_for_rollout": True}, {"id": True}, {}, {"metadata": [{"name": _ref("var.name")}]}


def _vault_token(g: _Gen, name: str) -> Built:
    return {"policies": [f"{name}-read"], "ttl": g.pick([None, "24h", "768h"]), "renewable": True,
            "no_parent": True, "metadata": g.governance(), "display_name": name, "explicit_max_ttl": None}, {
        "client_token": True, "id": True, "lease_duration": True, "lease_started": True, "wrapped_token": True,
        "wrapping_accessor": True}, {"client_token": True, "wrapped_token": True}, {"policies": {_C: [f"{name}-read"]}}


def _vault_approle(g: _Gen, name: str) -> Built:
    return {"role_name": name, "backend": "approle", "token_policies": [f"{name}-read"],
            "token_ttl": g.pick([0, 3600]), "token_max_ttl": g.pick([0, 86400]), "secret_id_ttl": g.pick([0, 600]),
            "secret_id_num_uses": 0, "bind_secret_id": True}, {"id": True, "role_id": True}, {}, {
        "role_name": _ref("var.name")}


# Module blueprints: (type, local name, builder, count). Ordinary infrastructure dominates, as in
# real plans; every NHI family of the catalogue appears.
_Builder = Callable[[_Gen, str], Built]
BLUEPRINTS: dict[str, list[tuple[str, str, _Builder, int]]] = {
    "service": [
        ("aws_iam_role", "this", _aws_role, 1),
        ("aws_iam_policy", "this", _aws_policy, 1),
        ("aws_iam_role_policy", "inline", _aws_role_policy, 1),
        ("aws_iam_role_policy_attachment", "managed", _aws_attachment, 2),
        ("aws_lambda_function", "this", _lambda, 1),
        ("aws_cloudwatch_log_group", "this", _log_group, 1),
        ("aws_security_group", "this", _security_group, 1),
        ("aws_s3_bucket", "data", _s3_bucket, 2),
        ("aws_secretsmanager_secret", "this", _aws_secret, 1),
        ("aws_secretsmanager_secret_version", "this", _aws_secret_version, 1),
        ("random_password", "db", _random_password, 1),
    ],
    "ci": [
        ("aws_iam_user", "this", _aws_user, 1),
        ("aws_iam_access_key", "this", _aws_access_key, 1),
        ("aws_iam_policy", "deploy", _aws_policy, 1),
        ("aws_s3_bucket", "artifacts", _s3_bucket, 1),
    ],
    "gcp": [
        ("google_service_account", "this", _gcp_sa, 1),
        ("google_service_account_key", "this", _gcp_sa_key, 1),
        ("google_project_iam_member", "this", _gcp_member, 3),
        ("google_secret_manager_secret", "this", _gcp_secret, 1),
        ("google_storage_bucket", "this", _gcs_bucket, 2),
    ],
    "azure": [
        ("azuread_application", "this", _az_app, 1),
        ("azuread_application_password", "this", _az_password, 1),
        ("azurerm_user_assigned_identity", "this", _az_identity, 1),
        ("azurerm_role_assignment", "this", _az_role, 2),
        ("azurerm_key_vault_secret", "this", _kv_secret, 1),
        ("random_password", "db", _random_password, 1),
    ],
    "k8s": [
        ("kubernetes_service_account_v1", "this", _k8s_sa, 1),
        ("kubernetes_secret_v1", "this", _k8s_secret, 1),
        ("kubernetes_cluster_role_binding_v1", "this", _k8s_binding, 1),
        ("kubernetes_deployment_v1", "this", _k8s_deploy, 1),
        ("vault_token", "this", _vault_token, 1),
        ("vault_approle_auth_backend_role", "this", _vault_approle, 1),
    ],
}
_WEIGHTS = [("service", 5), ("ci", 1), ("gcp", 2), ("azure", 1), ("k8s", 1)]
_PROVIDERS = {"aws": "hashicorp/aws", "google": "hashicorp/google", "azuread": "hashicorp/azuread",
              "azurerm": "hashicorp/azurerm", "kubernetes": "hashicorp/kubernetes", "vault": "hashicorp/vault",
              "random": "hashicorp/random"}


def _provider_of(rtype: str) -> str:
    return rtype.split("_", 1)[0]


def plan_json(n: int, seed: int = SEED) -> str:
    """``terraform show -json`` text with exactly ``n`` resource changes."""
    g = _Gen(seed + n)
    changes: list[dict[str, Any]] = []
    planned_root: dict[str, Any] = {"resources": [], "child_modules": []}
    module_calls: dict[str, Any] = {}
    call_no = 0
    while len(changes) < n:
        kind = g.pick([k for k, w in _WEIGHTS for _ in range(w)])
        call_no += 1
        call = f"{kind}_{call_no:04d}"
        # a third of the calls sit one level down, under a platform module
        nested = g.chance(0.33)
        outer = f"module.platform_{call_no % 7}" if nested else ""
        keys = [f"{g.pick(TEAMS)}-{i}" for i in range(g.rng.randrange(1, 6))]
        blueprint = BLUEPRINTS[kind]
        cfg_resources = []
        for rtype, local, _builder, count in blueprint:
            cfg = {"address": f"{rtype}.{local}", "mode": "managed", "type": rtype, "name": local,
                   "provider_config_key": f"{_provider_of(rtype)}", "expressions": {}, "schema_version": 0}
            if count > 1:
                cfg["count_expression"] = {_C: count}
            cfg_resources.append(cfg)
        child_planned: dict[str, Any] = {"address": "", "resources": []}
        for key in keys:
            module_address = f'{outer + "." if outer else ""}module.{call}["{key}"]'
            for (rtype, local, builder, count), cfg in zip(blueprint, cfg_resources, strict=True):
                for idx in range(count):
                    if len(changes) >= n:
                        break
                    name = f"{call}-{key}-{local}"
                    after, unknown, sensitive, expressions = builder(g, name)
                    cfg["expressions"] = expressions
                    address = f"{module_address}.{rtype}.{local}" + (f"[{idx}]" if count > 1 else "")
                    roll = g.rng.random()
                    actions = (["create"] if roll < 0.78 else ["update"] if roll < 0.88 else ["no-op"]
                               if roll < 0.94 else ["delete"] if roll < 0.97 else ["delete", "create"])
                    before = None
                    before_sensitive: Any = False
                    if actions != ["create"]:
                        before = dict(after)
                        before_sensitive = sensitive
                        if actions == ["update"] and "tags" in after:
                            before["tags"] = None
                    change = {"actions": actions, "before": before,
                              "after": None if actions == ["delete"] else after,
                              "after_unknown": {} if actions == ["delete"] else unknown,
                              "before_sensitive": before_sensitive,
                              "after_sensitive": False if actions == ["delete"] else sensitive}
                    rc: dict[str, Any] = {"address": address, "module_address": module_address, "mode": "managed",
                                          "type": rtype, "name": local}
                    if count > 1:
                        rc["index"] = idx
                    rc["provider_name"] = f"registry.terraform.io/{_PROVIDERS[_provider_of(rtype)]}"
                    rc["change"] = change
                    if actions == ["delete", "create"]:
                        rc["action_reason"] = "replace_because_cannot_update"
                    changes.append(rc)
                    if actions != ["delete"]:
                        child_planned["resources"].append({
                            "address": address, "mode": "managed", "type": rtype, "name": local,
                            **({"index": idx} if count > 1 else {}), "provider_name": rc["provider_name"],
                            "schema_version": 0, "values": after, "sensitive_values": sensitive or {}})
            child_planned["address"] = module_address
        planned_root["child_modules"].append(child_planned)
        call_cfg = {"source": f"./modules/{kind}", "for_each_expression": _ref("local.instances"),
                    "module": {"resources": cfg_resources, "variables": {"name": {}, "tags": {"default": {}}}}}
        if nested:
            holder = module_calls.setdefault(outer.split(".", 1)[1], {
                "source": "./modules/platform", "module": {"module_calls": {}}})
            holder["module"]["module_calls"][call] = call_cfg
        else:
            module_calls[call] = call_cfg
    outputs = {}
    output_cfg = {}
    for i in range(min(50, max(3, n // 200))):
        secret = g.chance(0.3)
        outputs[f"out_{i}"] = {"actions": ["create"], "before": None, "after": None if secret else f"value-{i}",
                               "after_unknown": secret, "before_sensitive": False, "after_sensitive": secret}
        output_cfg[f"out_{i}"] = {"expression": _ref(f"module.ci_{i}.secret" if secret else f"module.x_{i}.name"),
                                  **({"sensitive": True} if secret else {})}
    gov = {"owner": "team-platform", "requested_by": "alice", "approved_by": "bob", "change_ticket": "CHG-1001"}
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": {"region": {"value": "eu-west-1"}, "environment": {"value": "prod"}},
        "planned_values": {"root_module": planned_root,
                           "outputs": {k: {"sensitive": bool(v["after_sensitive"])} for k, v in outputs.items()}},
        "resource_changes": changes,
        "output_changes": outputs,
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "expressions": {
                    "region": _ref("var.region"), "default_tags": [{"tags": {_C: gov}}]}},
                "google": {"name": "google", "full_name": "registry.terraform.io/hashicorp/google",
                           "expressions": {"project": {_C: "acme-prod"}}},
                "vault": {"name": "vault", "full_name": "registry.terraform.io/hashicorp/vault",
                          "expressions": {"address": {_C: "https://vault.acme.io"}}},
            },
            "root_module": {"outputs": output_cfg, "module_calls": module_calls,
                            "variables": {"region": {"default": "eu-west-1"}, "environment": {}}},
        },
        "relevant_attributes": [],
        "timestamp": "2026-11-01T09:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    return json.dumps(plan, separators=(",", ":"))


# --- HCL trees ------------------------------------------------------------------------------

def _hcl_map(d: dict[str, str], indent: str) -> str:
    width = max(len(k) for k in d)
    inner = "\n".join(f'{indent}  {k.ljust(width)} = "{v}"' for k, v in d.items())
    return "{\n" + inner + f"\n{indent}}}"


def _versions_tf(g: _Gen, family: str) -> str:
    gov = g.governance(0.7)
    out = ['terraform {', '  required_version = ">= 1.6"', "  required_providers {"]
    for p in ("aws", "google", "azurerm", "azuread", "kubernetes", "random"):
        version = f"~> {g.rng.randrange(3, 6)}.0"
        out.append(f'    {p} = {{\n      source  = "hashicorp/{p}"\n      version = "{version}"\n    }}')
    out += ["  }", "}", ""]
    out += ['provider "aws" {', "  region = var.region", "", "  default_tags {",
            f"    tags = {_hcl_map(gov, '    ')}", "  }", "}", ""]
    out += ['provider "aws" {', '  alias  = "us"', '  region = "us-east-1"', "}", ""]
    if family in ("gcp", "mixed"):
        out += ['provider "google" {', '  project = "acme-prod"', "  region  = var.region",
                "  default_labels = {", f'    owner = "team-{g.pick(TEAMS)}"', "  }", "}", ""]
    return "\n".join(out)


def _variables_tf(g: _Gen, svc: str) -> str:
    out = []
    specs = [("region", "string", '"eu-west-1"'), ("environment", "string", '"prod"'),
             ("service", "string", f'"{svc}"'), ("retention_days", "number", str(g.pick([14, 30, 90]))),
             ("enable_ci_user", "bool", g.pick(["true", "false"])), ("vpc_id", "string", None),
             ("extra_tags", "map(string)", "{}"), ("allowed_repos", "list(string)", '["acme/app", "acme/infra"]')]
    for name, typ, default in specs:
        out.append(f'variable "{name}" {{')
        out.append(f'  description = "The {name.replace("_", " ")} for {svc}."')
        out.append(f"  type        = {typ}")
        if default is not None:
            out.append(f"  default     = {default}")
        if name == "environment":
            out += ["", "  validation {", '    condition     = contains(["prod", "staging", "dev"], var.environment)',
                    '    error_message = "environment must be prod, staging or dev."', "  }"]
        out += ["}", ""]
    return "\n".join(out)


def _locals_tf(g: _Gen, svc: str) -> str:
    gov = g.governance(0.6)
    return "\n".join([
        "locals {",
        '  name_prefix = "${var.environment}-${var.service}"',
        f"  governance = {_hcl_map(gov, '  ')}",
        "  tags = merge(local.governance, var.extra_tags, {",
        '    service     = var.service',
        '    environment = var.environment',
        "  })",
        "  read_actions = [",
        *[f'    "{s}:{v}",' for s, v in zip(g.rng.sample(SERVICES, 4), ["Get*", "List*", "Describe*", "Get*"],
                                           strict=True)],
        "  ]",
        f'  bucket_arn = "arn:aws:s3:::${{local.name_prefix}}-{g.token(6).lower()}"',
        "}",
        "",
    ])


def _iam_tf(g: _Gen, svc: str, family: str) -> str:
    pol = g.policy(3)
    stmts = []
    for s in pol["Statement"]:
        acts = ", ".join(f'"{a}"' for a in s["Action"])
        res = s["Resource"]
        stmts.append(f'  statement {{\n    sid       = "{s["Sid"]}"\n    effect    = "Allow"\n'
                     f'    actions   = [{acts}]\n    resources = ["{res}"]\n  }}')
    trust_service = g.pick(["lambda", "ec2", "ecs-tasks"])
    heredoc = json.dumps(g.policy(2), indent=2).replace("\n", "\n  ")
    out = [
        'data "aws_iam_policy_document" "trust" {',
        "  statement {",
        '    actions = ["sts:AssumeRole"]',
        "    principals {",
        '      type        = "Service"',
        f'      identifiers = ["{trust_service}.amazonaws.com"]',
        "    }",
        "  }",
        "}",
        "",
        'data "aws_iam_policy_document" "this" {',
        *stmts,
        "  statement {",
        '    sid       = "ReadData"',
        "    actions   = local.read_actions",
        '    resources = [local.bucket_arn, "${local.bucket_arn}/*"]',
        "  }",
        "}",
        "",
        'resource "aws_iam_role" "this" {',
        '  name               = "${local.name_prefix}-role"',
        "  assume_role_policy = data.aws_iam_policy_document.trust.json",
        "  tags               = local.tags",
        "}",
        "",
        'resource "aws_iam_policy" "this" {',
        '  name   = "${local.name_prefix}-policy"',
        "  policy = data.aws_iam_policy_document.this.json",
        "}",
        "",
        'resource "aws_iam_role_policy_attachment" "this" {',
        "  role       = aws_iam_role.this.name",
        "  policy_arn = aws_iam_policy.this.arn",
        "}",
        "",
        'resource "aws_iam_role_policy" "inline" {',
        '  name = "${local.name_prefix}-inline"',
        "  role = aws_iam_role.this.id",
        "  policy = jsonencode({",
        '    Version = "2012-10-17"',
        "    Statement = [{",
        '      Effect   = "Allow"',
        f'      Action   = ["{g.pick(SERVICES)}:{g.pick(VERBS)}", "{g.pick(SERVICES)}:{g.pick(VERBS)}"]',
        f'      Resource = "{g.pick(["*", "arn:aws:sqs:eu-west-1:123456789012:jobs"])}"',
        "    }]",
        "  })",
        "}",
        "",
        'resource "aws_iam_policy" "heredoc" {',
        '  name   = "${local.name_prefix}-extra"',
        "  policy = <<-EOF",
        "  " + heredoc,
        "  EOF",
        "}",
        "",
    ]
    if g.chance(0.4):
        out += [
            'resource "aws_iam_user" "ci" {',
            "  count = var.enable_ci_user ? 1 : 0",
            '  name  = "${local.name_prefix}-ci"',
            "  tags  = local.tags",
            "}",
            "",
            'resource "aws_iam_access_key" "ci" {',
            "  count = var.enable_ci_user ? 1 : 0",
            "  user  = aws_iam_user.ci[0].name",
            "}",
            "",
        ]
    out += [
        'resource "aws_secretsmanager_secret" "db" {',
        '  name = "${local.name_prefix}/db"',
        "  tags = local.tags",
        "}",
        "",
        'resource "random_password" "db" {',
        "  length  = 32",
        "  special = true",
        "}",
        "",
        'resource "aws_secretsmanager_secret_version" "db" {',
        "  secret_id     = aws_secretsmanager_secret.db.id",
        "  secret_string = jsonencode({ username = var.service, password = random_password.db.result })",
        "}",
        "",
    ]
    if g.chance(0.5):
        out += [
            'resource "aws_secretsmanager_secret_rotation" "db" {',
            "  secret_id           = aws_secretsmanager_secret.db.id",
            "  rotation_lambda_arn = var.rotation_lambda_arn",
            "  rotation_rules {",
            "    automatically_after_days = 30",
            "  }",
            "}",
            "",
        ]
    if family in ("gcp", "mixed"):
        out += [
            'resource "google_service_account" "this" {',
            '  account_id   = "${var.service}-sa"',
            '  display_name = "${var.service} workload"',
            f'  description  = "owner=team-{g.pick(TEAMS)} approved_by={g.pick(PEOPLE)} ticket=DATA-{g.uid()}"',
            "}",
            "",
            'resource "google_project_iam_member" "this" {',
            "  for_each = toset([",
            *[f'    "{r}",' for r in g.rng.sample(GCP_ROLES, 2)],
            "  ])",
            '  project = "acme-prod"',
            "  role    = each.value",
            '  member  = "serviceAccount:${google_service_account.this.email}"',
            "}",
            "",
        ]
        if g.chance(0.3):
            out += ['resource "google_service_account_key" "this" {',
                    "  service_account_id = google_service_account.this.name", "}", ""]
    return "\n".join(out)


def _main_tf(g: _Gen, svc: str, depth: int) -> str:
    ingress = []
    for port in g.rng.sample([22, 80, 443, 5432, 6379, 8080], 2):
        ingress += ["  ingress {", f"    from_port   = {port}", f"    to_port     = {port}",
                    '    protocol    = "tcp"', '    cidr_blocks = ["10.0.0.0/8"]', "  }"]
    out = [
        'resource "aws_s3_bucket" "data" {',
        '  bucket = "${local.name_prefix}-data"',
        "  tags   = local.tags",
        "}",
        "",
        'resource "aws_s3_bucket_versioning" "data" {',
        "  bucket = aws_s3_bucket.data.id",
        "  versioning_configuration {",
        '    status = "Enabled"',
        "  }",
        "}",
        "",
        'resource "aws_cloudwatch_log_group" "this" {',
        '  name              = "/aws/lambda/${local.name_prefix}"',
        "  retention_in_days = var.retention_days",
        "}",
        "",
        'resource "aws_lambda_function" "this" {',
        '  function_name = local.name_prefix',
        "  role          = aws_iam_role.this.arn",
        '  handler       = "main.handler"',
        '  runtime       = "python3.12"',
        '  filename      = "${path.module}/build/handler.zip"',
        "  timeout       = 30",
        "  environment {",
        "    variables = {",
        "      TABLE     = \"${local.name_prefix}-table\"",
        "      LOG_LEVEL = var.environment == \"prod\" ? \"info\" : \"debug\"",
        "    }",
        "  }",
        "  tags = local.tags",
        "}",
        "",
        'resource "aws_security_group" "this" {',
        '  name   = "${local.name_prefix}-sg"',
        "  vpc_id = var.vpc_id",
        *ingress,
        "  egress {",
        "    from_port   = 0",
        "    to_port     = 0",
        '    protocol    = "-1"',
        '    cidr_blocks = ["0.0.0.0/0"]',
        "  }",
        "}",
        "",
    ]
    if depth == 0:
        out += [
            'module "workers" {',
            '  source   = "../modules/worker"',
            '  for_each = toset(["ingest", "export", "report"])',
            '  name     = "${local.name_prefix}-${each.key}"',
            "  tags     = local.tags",
            "}",
            "",
        ]
    return "\n".join(out)


def _outputs_tf(g: _Gen) -> str:
    return "\n".join([
        'output "role_arn" {', "  value = aws_iam_role.this.arn", "}", "",
        'output "secret_arn" {', "  value = aws_secretsmanager_secret.db.arn", "}", "",
        'output "db_password" {', "  value     = random_password.db.result", "  sensitive = true", "}", "",
        'output "bucket" {', '  description = "Data bucket name."', "  value       = aws_s3_bucket.data.bucket",
        "}", "",
    ])


def hcl_tree(root: Path, files: int, seed: int = SEED) -> Path:
    """Write ``files`` .tf files (five per module directory) under ``root``."""
    g = _Gen(seed + files)
    root.mkdir(parents=True, exist_ok=True)
    written = 0
    d = 0
    while written < files:
        family = g.pick(["aws", "aws", "aws", "gcp", "mixed"])
        svc = f"{g.pick(TEAMS)}-{d:04d}"
        group = f"team-{d % 10}"
        directory = root / group / svc
        directory.mkdir(parents=True, exist_ok=True)
        # five files per directory; the outputs go at the end of main.tf
        parts = [
            ("versions.tf", partial(_versions_tf, g, family)),
            ("variables.tf", partial(_variables_tf, g, svc)),
            ("locals.tf", partial(_locals_tf, g, svc)),
            ("iam.tf", partial(_iam_tf, g, svc, family)),
            ("main.tf", partial(_main_tf, g, svc, d % 3)),
        ]
        for name, make in parts:
            if written >= files:
                break
            text = make()
            if name == "main.tf":
                text += "\n" + _outputs_tf(g)
            (directory / name).write_text(text, encoding="utf-8")
            written += 1
            if 'source   = "../modules/worker"' in text:
                worker = root / group / "modules" / "worker"
                worker.mkdir(parents=True, exist_ok=True)
                (worker / "main.tf").write_text(_WORKER_MODULE, encoding="utf-8")
        d += 1
    return root


#: the module the services' `module "workers"` calls (written once per team directory)
_WORKER_MODULE = """variable "name" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_iam_role" "worker" {
  name = var.name
  tags = var.tags
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "worker" {
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource = "*" }]
  })
}

output "role_arn" {
  value = aws_iam_role.worker.arn
}
"""


# --- chat answer ----------------------------------------------------------------------------

_PROSE = [
    "Sure! Here's how you can set this up with Terraform.",
    "Next, give the workload the permissions it needs. Keep them as narrow as you can.",
    "You'll also want a secret for the database credentials:",
    "If you prefer, you can run this from your shell first:",
    "Then wire the identity to the cluster:",
    "Finally, expose the values other stacks need:",
    "**Note:** replace the placeholder values before you apply.",
]


def chat_answer(blocks: int = 50, seed: int = SEED) -> tuple[str, str]:
    """(Markdown answer, the same HCL as one .tf file for tools that cannot read Markdown)."""
    g = _Gen(seed + blocks)
    md = ["**User:** How do I give our CI and workloads access to AWS, GCP and Kubernetes with Terraform?", ""]
    hcl: list[str] = []
    for i in range(blocks):
        md.append(g.pick(_PROSE))
        md.append("")
        roll = i % 10
        if roll == 3:
            md += ["```bash", "terraform init && terraform plan -out plan.tfplan", "terraform show -json plan.tfplan"
                   " > plan.json", "```", ""]
            continue
        if roll == 7:
            md += ["```yaml", "jobs:", "  deploy:", "    permissions:", "      id-token: write", "```", ""]
            continue
        lang = ["hcl", "terraform", "tf", ""][i % 4]
        body = _chat_block(g, i)
        hcl.append(body)
        md += [f"```{lang}", body.rstrip("\n"), "```", ""]
    return "\n".join(md), "\n".join(hcl)


def _chat_block(g: _Gen, i: int) -> str:
    kind = i % 6
    if kind == 0:
        return (f'resource "aws_iam_user" "ci_{i}" {{\n  name = "ci-deployer-{i}"\n}}\n\n'
                f'resource "aws_iam_access_key" "ci_{i}" {{\n  user = aws_iam_user.ci_{i}.name\n}}\n')
    if kind == 1:
        pol = json.dumps(g.policy(2), indent=2).replace("\n", "\n  ")
        return (f'resource "aws_iam_policy" "p_{i}" {{\n  name   = "policy-{i}"\n'
                f"  policy = <<-EOF\n  {pol}\n  EOF\n}}\n"
                f'\nresource "aws_iam_user_policy_attachment" "a_{i}" {{\n  user       = aws_iam_user.ci_{i - 1}.name\n'
                f"  policy_arn = aws_iam_policy.p_{i}.arn\n}}\n")
    if kind == 2:
        return (f'resource "aws_iam_role" "gha_{i}" {{\n  name = "github-actions-{i}"\n'
                "  assume_role_policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n"
                '      Effect    = "Allow"\n      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/'
                'token.actions.githubusercontent.com" }\n      Action    = "sts:AssumeRoleWithWebIdentity"\n'
                '      Condition = { StringLike = { "token.actions.githubusercontent.com:sub" = "repo:acme/*" } }\n'
                "    }]\n  })\n  tags = {\n    owner = \"team-platform\"\n  }\n}\n")
    if kind == 3:
        return (f'resource "google_service_account" "sa_{i}" {{\n  account_id = "worker-{i}"\n}}\n\n'
                f'resource "google_service_account_key" "key_{i}" {{\n'
                f"  service_account_id = google_service_account.sa_{i}.name\n}}\n\n"
                f'resource "google_project_iam_member" "m_{i}" {{\n  project = "acme-prod"\n'
                '  role    = "roles/editor"\n'
                f'  member  = "serviceAccount:${{google_service_account.sa_{i}.email}}"\n}}\n')
    if kind == 4:
        return (f'resource "kubernetes_service_account_v1" "app_{i}" {{\n  metadata {{\n    name      = "app-{i}"\n'
                f'    namespace = "apps"\n  }}\n}}\n\nresource "kubernetes_cluster_role_binding_v1" "b_{i}" {{\n'
                f'  metadata {{\n    name = "app-{i}-admin"\n  }}\n  role_ref {{\n'
                '    api_group = "rbac.authorization.k8s.io"\n    kind      = "ClusterRole"\n'
                '    name      = "cluster-admin"\n  }\n  subject {\n    kind      = "ServiceAccount"\n'
                f'    name      = "app-{i}"\n    namespace = "apps"\n  }}\n}}\n')
    return (f'resource "aws_secretsmanager_secret" "db_{i}" {{\n  name = "app/db-{i}"\n}}\n\n'
            f'resource "aws_secretsmanager_secret_version" "db_{i}" {{\n'
            f"  secret_id     = aws_secretsmanager_secret.db_{i}.id\n"
            f'  secret_string = jsonencode({{ username = "app", password = "{g.token(16)}" }})\n}}\n\n'
            f'output "db_secret_{i}" {{\n  value = aws_secretsmanager_secret_version.db_{i}.secret_string\n}}\n')


def write_all(root: Path, sizes_plan: list[int], sizes_hcl: list[int], chat_blocks: int) -> dict[str, Path]:
    """Write every workload under ``root``; skip what is already there (same seed, same bytes)."""
    out: dict[str, Path] = {}
    root.mkdir(parents=True, exist_ok=True)
    for n in sizes_plan:
        path = root / f"plan-{n}.json"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(plan_json(n), encoding="utf-8")
            tmp.replace(path)
        out[f"plan-{n}"] = path
    for n in sizes_hcl:
        path = root / f"hcl-{n}"
        if not (path / ".complete").exists():
            hcl_tree(path, n)
            (path / ".complete").write_text("", encoding="utf-8")
        out[f"hcl-{n}"] = path
    md_path = root / f"chat-{chat_blocks}.md"
    tf_dir = root / f"chat-{chat_blocks}-tf"
    if not md_path.exists() or not (tf_dir / "main.tf").exists():
        md, hcl = chat_answer(chat_blocks)
        md_path.write_text(md, encoding="utf-8")
        tf_dir.mkdir(exist_ok=True)
        (tf_dir / "main.tf").write_text(hcl, encoding="utf-8")
    out[f"chat-{chat_blocks}"] = md_path
    out[f"chat-{chat_blocks}-tf"] = tf_dir
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="write the benchmark workloads")
    ap.add_argument("work", nargs="?", default="bench/.work")
    ap.add_argument("--plans", default="100,1000,10000,50000")
    ap.add_argument("--trees", default="10,100,1000")
    ap.add_argument("--chat-blocks", type=int, default=50)
    args = ap.parse_args()
    sizes = [int(x) for x in args.plans.split(",") if x], [int(x) for x in args.trees.split(",") if x]
    for name, path in write_all(Path(args.work), sizes[0], sizes[1], args.chat_blocks).items():
        print(name, path)
