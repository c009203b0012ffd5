"""Turn an annotated HCL fixture directory into the plan JSON Terraform would show for it.

    python scripts/hcl_to_plan.py fixtures/hcl/CASE fixtures/plan/CASE.json

The HCL loader evaluates the module (jsonencode, policy documents, locals); each
managed resource becomes a ``create`` change whose ``after`` holds the evaluated
values, with values unknown before apply listed in ``after_unknown`` and
references kept in ``configuration``. Data sources are read at plan time and do
not appear. The ``# expect:`` annotations are carried over as ``"//"`` keys; a
``# plan-expect: ...`` comment above a block overrides it where the plan must differ
(a value HCL resolves through a reference is unknown in a plan).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

from annotations import from_text  # noqa: E402
from plan_fixture import build  # noqa: E402

from scanner.loaders.hcl_eval import PartialJson  # noqa: E402
from scanner.loaders.inputs import load_inputs  # noqa: E402
from scanner.model.values import Unknown  # noqa: E402


class _Unknown(Exception):
    pass


def plain(value: Any) -> Any:
    if isinstance(value, PartialJson):
        raise _Unknown
    if isinstance(value, Unknown):
        raise _Unknown
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def main() -> int:
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    expected: dict[str, str] = {}
    for tf in sorted(src.glob("*.tf")):
        found, _ = from_text(tf)
        for (_file, address), ids in found.items():
            expected[address] = ", ".join(sorted(ids.elements())) or "none"
        override = None
        for line in tf.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\s*#\s*plan-expect:\s*(.*)$", line)
            if m:
                override = m.group(1).strip()
                continue
            b = re.match(r'^\s*resource\s+"([\w-]+)"\s+"([\w-]+)"', line)
            if b:
                if override is not None:
                    expected[f"{b.group(1)}.{b.group(2)}"] = override
                override = None
    loaded = load_inputs([str(src)], None, False)
    resources = []
    for _scope, doc in loaded.documents:
        for res in doc.resources:
            if res.mode != "managed":
                continue
            values: dict[str, Any] = {}
            unknown: list[str] = []
            for key, value in res.attrs.items():
                try:
                    values[key] = plain(value)
                except _Unknown:
                    values[key] = None
                    unknown.append(key)
            refs: dict[str, list[str]] = {}
            for path, targets in res.refs.items():
                refs.setdefault(path.split(".")[0], []).extend(targets)
            resources.append(
                {
                    "address": res.address,
                    "expect": expected.get(res.address, "none"),
                    "values": values,
                    "unknown": unknown,
                    "refs": {k: list(dict.fromkeys(v)) for k, v in refs.items()},
                }
            )
    dst.write_text(json.dumps(build({"resources": resources}), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {dst} ({len(resources)} resources)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
