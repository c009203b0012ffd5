"""Plan JSON semantics: actions, unknowns, configuration, sensitivity, modules, lines."""

from __future__ import annotations

import json
from typing import Any

from scanner.loaders.plan import load_plan
from scanner.model.values import MISSING, Unknown


def rc(address: str, rtype: str, after: dict[str, Any], actions: list[str] | None = None, *,
       module: str | None = None, unknown: dict[str, Any] | None = None,
       sensitive: dict[str, Any] | None = None) -> dict[str, Any]:
    name = address.split(".")[-1].split("[")[0]
    entry: dict[str, Any] = {"address": address, "mode": "managed", "type": rtype, "name": name,
                             "provider_name": "registry.terraform.io/hashicorp/aws",
                             "change": {"actions": actions or ["create"], "before": None, "after": after,
                                        "after_unknown": unknown or {}, "before_sensitive": False,
                                        "after_sensitive": sensitive or {}}}
    if module:
        entry["module_address"] = module
    return entry


def plan(changes: list[dict[str, Any]], configuration: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.5", "planned_values": {},
                            "resource_changes": changes, **extra}
    if configuration is not None:
        data["configuration"] = configuration
    return data


def load(data: dict[str, Any], include_unchanged: bool = False):  # type: ignore[no-untyped-def]
    text = json.dumps(data, indent=2)
    doc = load_plan(data, text, "plan.json", include_unchanged)
    return doc, {r.address: r for r in doc.resources}


def test_actions_delete_skipped_noop_optional_replace_kept() -> None:
    changes = [rc("aws_iam_user.gone", "aws_iam_user", {}, ["delete"]),
               rc("aws_iam_user.same", "aws_iam_user", {"name": "same"}, ["no-op"]),
               rc("aws_iam_user.swap", "aws_iam_user", {"name": "swap"}, ["delete", "create"])]
    _, res = load(plan(changes))
    assert {a: r.context_only for a, r in res.items()} == {"aws_iam_user.same": True, "aws_iam_user.swap": False}
    assert res["aws_iam_user.swap"].action == "replace"
    _, res = load(plan(changes), include_unchanged=True)
    assert {a: r.context_only for a, r in res.items()} == {"aws_iam_user.same": False, "aws_iam_user.swap": False}


def test_after_unknown_is_unknown_and_unset_computed_is_missing() -> None:
    after = {"application_id": "x", "end_date": None, "tags_all": None, "display_name": None}
    unknown = {"end_date": True, "tags_all": True, "display_name": True, "key_id": True}
    config = {"root_module": {"resources": [{
        "address": "azuread_application_password.p", "mode": "managed", "type": "azuread_application_password",
        "name": "p", "provider_config_key": "azuread",
        "expressions": {"application_id": {"references": ["azuread_application.a.id", "azuread_application.a"]},
                        "display_name": {"references": ["var.name"]}}}]}}
    _, res = load(plan([rc("azuread_application_password.p", "azuread_application_password", after,
                           unknown=unknown)], config))
    p = res["azuread_application_password.p"]
    assert p.attrs.get("end_date", MISSING) is MISSING  # computed by the provider: the author did not set it
    assert isinstance(p.attrs["display_name"], Unknown)  # written from a variable: unknown, not missing
    assert isinstance(p.attrs["tags_all"], Unknown)
    assert p.refs["application_id"] == ["azuread_application.a.id", "azuread_application.a"]
    # without configuration nothing can be told apart: unknown stays unknown
    _, res = load(plan([rc("azuread_application_password.p", "azuread_application_password", after,
                           unknown=unknown)]))
    assert isinstance(res["azuread_application_password.p"].attrs["end_date"], Unknown)


def test_sensitive_values_collected_nested_and_modules_and_lines() -> None:
    after = {"name": "db", "secret_string": "s3cr3t-value", "nested": [{"password": "p@ssw0rd-x", "n": 1}]}
    sens = {"secret_string": True, "nested": [{"password": True}]}
    config = {"root_module": {"module_calls": {"ci": {"source": "./ci", "module": {"resources": [{
        "address": "aws_secretsmanager_secret_version.v", "mode": "managed",
        "type": "aws_secretsmanager_secret_version", "name": "v", "provider_config_key": "ci:aws",
        "expressions": {"secret_id": {"references": ["aws_secretsmanager_secret.s.id",
                                                     "aws_secretsmanager_secret.s"]}}}]}}}}}
    changes = [rc("module.ci[0].aws_secretsmanager_secret_version.v", "aws_secretsmanager_secret_version", after,
                  module="module.ci[0]", sensitive=sens)]
    doc, res = load(plan(changes, config))
    v = res["module.ci[0].aws_secretsmanager_secret_version.v"]
    assert {"s3cr3t-value", "p@ssw0rd-x"} <= doc.secrets
    assert v.module == "module.ci[0]"
    assert v.config_address == "module.ci.aws_secretsmanager_secret_version.v"
    assert v.refs["secret_id"][1] == "module.ci.aws_secretsmanager_secret.s"
    assert v.provider == "aws"
    text = json.dumps(plan(changes, config), indent=2)
    assert text.splitlines()[v.line - 1].strip().startswith('"address": "module.ci[0].aws_secretsmanager')


def test_outputs_sensitivity_from_change_or_configuration() -> None:
    config = {"root_module": {"outputs": {
        "key": {"expression": {"references": ["aws_iam_access_key.k.secret", "aws_iam_access_key.k"]}},
        "hidden": {"sensitive": True, "expression": {"references": ["aws_iam_access_key.k.secret"]}}}}}
    outputs = {"key": {"actions": ["create"], "after": "AKIAEXAMPLE-secret", "after_unknown": False,
                       "after_sensitive": False},
               "hidden": {"actions": ["create"], "after": None, "after_unknown": True, "after_sensitive": True}}
    _doc, res = load(plan([], config, output_changes=outputs))
    assert res["output.key"].attrs == {"value": "AKIAEXAMPLE-secret", "sensitive": False}
    assert res["output.key"].refs["value"][0] == "aws_iam_access_key.k.secret"
    assert res["output.hidden"].attrs["sensitive"] is True
    assert isinstance(res["output.hidden"].attrs["value"], Unknown)


def test_errored_and_old_format_versions() -> None:
    doc, res = load(plan([rc("aws_iam_role.r", "aws_iam_role", {"name": "r"})], errored=True))
    assert "errored" in doc.errors[0].message and set(res) == {"aws_iam_role.r"}
    old = {"format_version": "0.1", "terraform_version": "0.12.31", "planned_values": {},
           "resource_changes": [{"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
                                 "name": "r", "change": {"actions": ["create"], "before": None,
                                                         "after": {"name": "r"}, "after_unknown": {"arn": True}}}]}
    doc, res = load(old)
    assert doc.errors == [] and isinstance(res["aws_iam_role.r"].attrs["arn"], Unknown)
