"""The key-by-key plan reader (scanner/loaders/plan_stream.py) sees exactly what json.loads sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from scanner.loaders.plan import load_plan
from scanner.loaders.plan_stream import split_plan

PLANS = sorted(p for p in (FIXTURES / "plan").rglob("*.json"))


def _summary(text: str, streamed: bool) -> list[tuple[object, ...]]:
    if streamed:
        plan = split_plan(text)
        assert plan is not None
        doc = load_plan(plan.top, text, "p.json", changes=plan.changes())
    else:
        doc = load_plan(json.loads(text), text, "p.json")
    rows: list[tuple[object, ...]] = [
        (r.address, r.type, r.action, r.line, repr(r.attrs), repr(r.before), sorted(r.sensitive_paths), r.refs)
        for r in doc.resources
    ]
    rows += [("error", e.line, e.message) for e in doc.errors]
    rows.append(("secrets", tuple(sorted(doc.secrets))))
    return rows


@pytest.mark.parametrize("path", PLANS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_streamed_plan_loads_like_json_loads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _summary(text, streamed=True) == _summary(text, streamed=False)


def test_planned_values_and_prior_state_are_dropped_but_still_present() -> None:
    text = json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": [1, 2]}},
                       "prior_state": {"values": {}}, "resource_changes": [{"a": 1}, {"b": [2]}]}, indent=1)
    plan = split_plan(text)
    assert plan is not None
    assert plan.top == {"format_version": "1.2", "planned_values": {}, "prior_state": {}, "resource_changes": None}
    assert list(plan.changes()) == [{"a": 1}, {"b": [2]}]


@pytest.mark.parametrize(
    "text",
    [
        '{"resource_changes": [], "resource_changes": [{"a": 1}]}',  # json.loads keeps the last one
        '{"resource_changes": [{"a": 1}]} trailing',
        '{"resource_changes": [{"a": 1},]}',
        '{"resource_changes": [{"a": 1}]',
        '[{"resource_changes": []}]',
        '{"format_version": "1.2"}',  # no resource_changes list: json.loads reads it
        '{"resource_changes": {"a": 1}}',
        '{"resource_changes": [{"a": 1e999999999999999999999999}], "x": 1',
        "",
    ],
)
def test_anything_unusual_is_left_to_json_loads(text: str) -> None:
    assert split_plan(text) is None
