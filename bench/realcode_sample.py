"""The stratified sample of bench/realcode-triage.md, drawn from nhi-guard JSON reports.

    python3 bench/realcode_sample.py REPORT.json [REPORT.json ...]

Strata are (report, rule). Every finding of a least-privilege, expiry or secret rule is taken;
of the governance rules (NHI_OWN_001, NHI_APR_001, NHI_APR_002), which make up most findings,
four per report, evenly spaced in (file, line, resource) order, each rule from another offset so
that the three rules do not all land on the same resources. The draw is deterministic: the same
reports give the same sample. Prints one line per sampled finding, numbered.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

GOVERNANCE = ("NHI_APR_001", "NHI_APR_002", "NHI_OWN_001")
PER_GOVERNANCE_RULE = 4


def sample(report: dict) -> list[tuple[int, dict]]:
    """(stratum size, finding) of the sampled findings of one report."""
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for finding in report["findings"]:
        by_rule[finding["rule_id"]].append(finding)
    out = []
    for rule, found in sorted(by_rule.items()):
        found.sort(key=lambda f: (f["file"], f["line"], f["resource"]))
        want = PER_GOVERNANCE_RULE if rule in GOVERNANCE else len(found)
        step = len(found) / want if len(found) > want else 1
        offset = step * GOVERNANCE.index(rule) / len(GOVERNANCE) if rule in GOVERNANCE else 0
        picked = found if len(found) <= want else [found[int(i * step + offset)] for i in range(want)]
        out += [(len(found), f) for f in picked]
    return out


def main(paths: list[str]) -> None:
    n = 0
    for path in paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        for size, f in sample(report):
            n += 1
            print(f"{n:3d} {Path(path).stem} [{f['rule_id']} of {size}] {f['resource']} | {f['file']}:{f['line']}")


if __name__ == "__main__":
    main(sys.argv[1:])
