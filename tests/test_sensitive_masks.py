"""Hand-made ``after_sensitive`` masks that do not match their value mask conservatively: where the
shapes disagree, the whole attribute counts as sensitive (a too-short list mask, a list mask on a
map or a string, a map mask on a list, ``"yes"`` for ``true``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.loaders.plan import load_plan
from scanner.reporters import get_reporter

AFTER = {
    "name": "ci",
    "tags": {"owner": "Tag-Secret-Owner-1", "team": "Tag-Secret-Team-2"},
    "keys": ["List-Secret-One-1", "List-Secret-Two-2", "List-Secret-Three-3"],
    "password": "Plain-Secret-Password-1",
}
TAGS = ["Tag-Secret-Owner-1", "Tag-Secret-Team-2"]
KEYS = ["List-Secret-One-1", "List-Secret-Two-2", "List-Secret-Three-3"]

CASES: dict[str, tuple[Any, list[str]]] = {
    # what Terraform writes: exactly the marked parts
    "exact": ({"tags": {"owner": True}, "keys": [False, True, False]}, ["Tag-Secret-Owner-1", "List-Secret-Two-2"]),
    "shorter list": ({"keys": [False, True]}, KEYS),
    "one mark for a list": ({"keys": [True]}, KEYS),
    "list mask on a map": ({"tags": [True]}, TAGS),
    "map mask on a list": ({"keys": {"0": True}}, KEYS),
    "list mask on a string": ({"password": [True]}, ["Plain-Secret-Password-1"]),
    "not a boolean": ({"password": "yes", "tags": 1}, ["Plain-Secret-Password-1", *TAGS]),
    "deep disagreement": ({"tags": {"owner": [True]}}, TAGS),
    "a list for the resource": ([True], [*TAGS, *KEYS, "Plain-Secret-Password-1", "ci"]),
    "true for the resource": (True, [*TAGS, *KEYS, "Plain-Secret-Password-1", "ci"]),
    # no mark anywhere: nothing to guess
    "all false": ({"keys": [False], "tags": [], "password": False}, []),
}


def _plan(mask: Any) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {},
        "resource_changes": [
            {
                "address": "aws_iam_user.ci",
                "mode": "managed",
                "type": "aws_iam_user",
                "name": "ci",
                "change": {"actions": ["create"], "before": None, "after": AFTER, "after_unknown": {},
                           "after_sensitive": mask},
            }
        ],
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mask_that_does_not_fit_its_value_masks_the_whole_attribute(case: str) -> None:
    mask, secret = CASES[case]
    plan = _plan(mask)
    doc = load_plan(plan, json.dumps(plan), "plan.json")
    assert doc.secrets == set(secret)


@pytest.mark.parametrize("case", ["shorter list", "list mask on a map", "map mask on a list", "not a boolean"])
def test_no_output_shows_a_value_a_misshapen_mask_covers(tmp_path: Path, case: str) -> None:
    mask, secret = CASES[case]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan(mask)), encoding="utf-8")
    report = scan([str(path)], ScanOptions(today=TODAY)).report
    for fmt in ("text", "json", "sarif", "markdown"):
        out = get_reporter(fmt)(report, False)
        assert not [s for s in secret if s in out], fmt


def test_an_output_with_a_structured_mask_is_sensitive() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": [],
        "output_changes": {
            "creds": {"actions": ["create"], "before": None, "after": {"id": "AKIA-Out-1", "secret": "Out-Secret-2"},
                      "after_unknown": False, "after_sensitive": {"secret": True}},
        },
    }  # fmt: skip
    doc = load_plan(plan, json.dumps(plan), "plan.json")
    (output,) = doc.resources
    assert output.attrs["sensitive"] is True
    assert doc.secrets == {"AKIA-Out-1", "Out-Secret-2"}
