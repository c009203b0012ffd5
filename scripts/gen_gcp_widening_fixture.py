"""Write fixtures/plan/gcp_plan_widening.json: in-place updates of Google IAM bindings.

    python scripts/gen_gcp_widening_fixture.py
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
sys.path.insert(0, "scripts")
from plan_fixture import build  # noqa: E402

CI = "serviceAccount:ci@acme-prod.iam.gserviceaccount.com"


def binding(role, members, condition=None):
    out = {"project": "acme-prod", "role": role, "members": members, "condition": [], "etag": "BwYfake", "id": "x"}
    if condition:
        out["condition"] = [condition]
    return out


def policy(bindings):
    return {"project": "acme-prod", "policy_data": json.dumps({"bindings": bindings}, separators=(",", ":")),
            "etag": "BwYfake", "id": "acme-prod"}


window = {"title": "business-hours", "description": "", "expression": "request.time.getHours('UTC') < 18"}
spec = {"resources": [
    {"address": "google_project_iam_binding.run_admins", "expect": "NHI_GCP_050", "action": "update",
     "before": binding("roles/run.admin", [CI]),
     "values": binding("roles/run.admin", [CI, "group:contractors@acme.example"])},
    {"address": "google_project_iam_binding.sql_clients", "expect": "NHI_GCP_050", "action": "update",
     "before": binding("roles/cloudsql.client", [CI], window),
     "values": binding("roles/cloudsql.client", [CI])},
    {"address": "google_project_iam_binding.viewers", "expect": "none", "action": "update",
     "before": binding("roles/viewer", [CI, "group:auditors@acme.example"]),
     "values": binding("roles/viewer", ["group:auditors@acme.example"])},
    {"address": "google_project_iam_policy.project", "expect": "NHI_GCP_002, NHI_GCP_050", "action": "update",
     "before": policy([{"role": "roles/viewer", "members": [CI]}]),
     "values": policy([{"role": "roles/viewer", "members": [CI]}, {"role": "roles/editor", "members": [CI]}])},
]}
with open("fixtures/plan/gcp_plan_widening.json", "w", encoding="utf-8") as fh:
    fh.write(json.dumps(build(spec), indent=2) + "\n")
