"""Every rule ships with a positive and a negative fixture in each input form."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from annotations import EXPECT_RE
from conftest import FIXTURES

from scanner.rules import Rule, all_rules

_BLOCK = re.compile(r'^\s*(?:resource|data)\s+"?([\w-]+)"?\s+"?[\w-]+"?|^\s*(output)\b|^\s*provider\s+"?([\w-]+)"?')
FORMS = ("hcl", "plan", "markdown")
#: marks the type of an object a plan destroys: only rules that judge deletions see it
DELETED = "deleted:"


def _text_annotations(path: Path) -> list[tuple[str, set[str]]]:
    """(resource type, expected rule ids) for each annotated block of a .tf or .md file."""
    out = []
    pending: set[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT_RE.match(line)
        if m:
            text = m.group(1).strip()
            pending = set() if text.lower() == "none" else {t.strip() for t in text.split(",") if t.strip()}
            continue
        b = _BLOCK.match(line)
        if b:
            if pending is not None:
                out.append((b.group(1) or b.group(2) or b.group(3), pending))
            pending = None
    return out


def _plan_annotations(path: Path) -> list[tuple[str, set[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []

    def ids(note: str) -> set[str]:
        text = note.split(":", 1)[1].strip()
        return set() if text.lower() == "none" else {t.strip() for t in text.split(",") if t.strip()}

    for rc in data.get("resource_changes") or []:
        if "//" in rc and rc["change"]["actions"] != ["forget"]:
            gone = rc["change"]["actions"] == ["delete"]
            out.append((DELETED + rc["type"] if gone else rc["type"], ids(rc["//"])))
    for oc in (data.get("output_changes") or {}).values():
        if "//" in oc:
            out.append(("output", ids(oc["//"])))
    for name, pc in ((data.get("configuration") or {}).get("provider_config") or {}).items():
        if "//" in pc:
            out.append((pc.get("name", name.split(".")[0]), ids(pc["//"])))
    return out


def _collect() -> dict[str, list[tuple[str, set[str]]]]:
    found: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for tf in (FIXTURES / "hcl").rglob("*.tf"):
        found["hcl"] += _text_annotations(tf)
    for plan in (FIXTURES / "plan").rglob("*.json"):
        found["plan"] += _plan_annotations(plan)
    for md in (FIXTURES / "markdown").rglob("*.md"):
        found["markdown"] += _text_annotations(md)
    return found


ANNOTATIONS = _collect()
#: waivers are engine-level and apply to any resource type
_ANY_TYPE = {"NHI_APR_004"}
#: rules that fire on every resource of their type: the safe alternative creates no such resource
ALWAYS_FIRES = {
    "NHI_GCP_001": "every user-managed service-account key is a long-lived credential; the fix "
                   "(Workload Identity Federation, attached service accounts) creates no key at all",
}

#: rules that judge what exists only in a plan (an in-place update): HCL and chat answers hold
#: only their negatives (the rule's ``needs_plan`` trait)
PLAN_ONLY = {r.id for r in all_rules() if r.needs_plan}


def _targets(rule: Rule, rtype: str) -> bool:
    if rule.id in _ANY_TYPE:
        return True
    if "output" in rule.modes:
        return rtype == "output"
    if "provider" in rule.modes:
        return rtype in rule.resource_types or not rule.resource_types
    from scanner.model.resource import Resource

    probe = Resource(address=f"{rtype}.x", mode="managed", type=rtype, name="x", attrs={}, file="", line=1)
    return rule.applies_to(probe)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_has_positive_and_negative_fixture(rule: Rule, form: str) -> None:
    entries = [
        (t.removeprefix(DELETED), ids)
        for t, ids in ANNOTATIONS[form]
        if rule.judges_deletes or not t.startswith(DELETED)
    ]
    positive = [t for t, ids in entries if rule.id in ids]
    negative = [t for t, ids in entries if rule.id not in ids and _targets(rule, t)]
    assert positive or (rule.id in PLAN_ONLY and form != "plan"), f"{rule.id} has no positive {form} fixture"
    if rule.id in ALWAYS_FIRES:
        return
    assert negative, f"{rule.id} has no negative {form} fixture (a targeted resource where it must not fire)"
