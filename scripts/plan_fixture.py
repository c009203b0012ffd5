"""Build ``terraform show -json`` shaped plans for fixtures and tests, without providers.

Terraform cannot plan the AWS, Google or Azure providers offline, so plan fixtures
are built from a compact spec that mirrors what Terraform writes:

    {"resources": [
        {"address": "aws_iam_role.ci", "values": {...}, "expect": "NHI_AWS_030",
         "refs": {"role": ["aws_iam_role.ci.name"]},       # configuration references
         "unknown": ["arn"],                               # after_unknown attributes
         "action": "update", "before": {...}},             # optional, default create
        ...]}

``values`` are the planned values (``after``); every top-level value becomes a
``constant_value`` expression in ``configuration`` unless ``refs`` names it.
``data.`` addresses become data sources read during plan (action ``read``).

    python scripts/plan_fixture.py spec.json fixtures/plan/case.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _split(address: str) -> tuple[str, str, str]:
    parts = address.split(".")
    if parts[0] == "data":
        return "data", parts[1], parts[2]
    return "managed", parts[0], parts[1]


def _unknown_marks(values: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
    return {k: True for k in unknown}


def _sensitive_marks(values: Any) -> Any:
    if isinstance(values, dict):
        return {k: _sensitive_marks(v) for k, v in values.items() if isinstance(v, dict | list)}
    if isinstance(values, list):
        return [_sensitive_marks(v) if isinstance(v, dict | list) else False for v in values]
    return False


def build(spec: dict[str, Any]) -> dict[str, Any]:
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    config: list[dict[str, Any]] = []
    for item in spec["resources"]:
        mode, rtype, name = _split(item["address"])
        provider = "registry.terraform.io/hashicorp/" + rtype.split("_", 1)[0]
        values = item.get("values", {})
        unknown = item.get("unknown", [])
        planned.append(
            {
                "address": item["address"],
                "mode": mode,
                "type": rtype,
                "name": name,
                "provider_name": provider,
                "schema_version": 0,
                "values": {k: v for k, v in values.items() if k not in unknown},
                "sensitive_values": _sensitive_marks(values),
            }
        )
        action = item.get("action", "read" if mode == "data" else "create")
        before = item.get("before") if action != "create" else None
        rc: dict[str, Any] = {
            "address": item["address"],
            "mode": mode,
            "type": rtype,
            "name": name,
            "provider_name": provider,
        }
        if "expect" in item:
            rc["//"] = "expect: " + item["expect"]
        rc["change"] = {
            "actions": [action],
            "before": before,
            "after": {k: v for k, v in values.items() if k not in unknown},
            "after_unknown": _unknown_marks(values, unknown),
            "before_sensitive": _sensitive_marks(before) if before is not None else False,
            "after_sensitive": _sensitive_marks(values),
        }
        changes.append(rc)
        refs = item.get("refs", {})
        expressions: dict[str, Any] = {}
        for key, value in values.items():
            if key in refs:
                expressions[key] = {"references": refs[key]}
            elif key not in unknown and not key.startswith(("tags_all", "id", "arn", "unique_id")):
                expressions[key] = {"constant_value": value}
        for key, targets in refs.items():
            expressions.setdefault(key, {"references": targets})
        config.append(
            {
                "address": item["address"],
                "mode": mode,
                "type": rtype,
                "name": name,
                "provider_config_key": rtype.split("_", 1)[0],
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": {},
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    Path(sys.argv[2]).write_text(json.dumps(build(spec), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
