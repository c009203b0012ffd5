"""Every rule's documented example is true: its ``Example`` is reported by that rule, its
``Use instead`` is not.

The examples are what users read first (``nhi-guard explain``, docs/rules.md, the MCP server's
``explain_rule``), so each is a small, complete configuration that the scanner itself judges.
The fenced blocks of a section are written to one directory and scanned together:

* ``hcl`` / ``terraform`` blocks: ``main.tf``;
* ``toml`` blocks: ``nhi-guard.approvals.toml`` when they hold ``[[approval]]`` entries,
  else the config, ``.nhi-guard.toml``;
* ``json`` blocks: ``plan.json`` when they hold ``resource_changes`` (the rules that judge an
  update need a plan), else the pull request's reviews (``--reviews``), with ``alice`` as the
  requester.

A rule that judges an update (``needs_plan``) must show plans on both sides: HCL alone can never
trigger it, so scanning HCL would prove nothing. A ``Use instead`` that is not a configuration
(the fix is a command, or a review) is listed in ``FIX_IS_NOT_CONFIG``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from scanner.api import ScanOptions, scan
from scanner.rules import Rule, all_rules
from scanner.rules.catalogue_docs import rule_sections

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
TODAY = date(2026, 6, 1)
#: rules whose example cannot be judged from the docstring alone, and why
NOT_SELF_CONTAINED = {
    "NHI_APR_005": "needs a ledger entry written by `nhi-guard approve` before the change "
    "(tests/test_approval.py: the role that gained s3:PutObject)",
}
#: rules whose fix is an action rather than a configuration
FIX_IS_NOT_CONFIG = {
    "NHI_APR_006": "`nhi-guard approve` again with a new end date",
    "NHI_APR_007": "the named approver approves the pull request",
}


def _write(section: str, where: Path, plan_only: bool) -> tuple[bool, ScanOptions]:
    """Writes the section's blocks into ``where``; False when it holds nothing to scan."""
    hcl: list[str] = []
    options = ScanOptions(today=TODAY, ledger=False)
    found = False
    for lang, body in FENCE.findall(section):
        if lang in ("hcl", "terraform", "tf"):
            hcl.append(body)
            found = found or not plan_only
        elif lang == "toml":
            name = "nhi-guard.approvals.toml" if "[[approval]]" in body else ".nhi-guard.toml"
            (where / name).write_text(body, encoding="utf-8")
            if name.startswith("nhi-guard"):
                options.ledger = str(where / name)
        elif lang == "json":
            data = json.loads(body)
            if isinstance(data, dict) and "resource_changes" in data:
                (where / "plan.json").write_text(body, encoding="utf-8")
                found = True
            else:
                options.reviews = data
                options.requester = "alice"
    if hcl:
        (where / "main.tf").write_text("\n".join(hcl), encoding="utf-8")
    return found, options


def _rule_ids(where: Path, options: ScanOptions) -> set[str]:
    inputs = [str(p) for p in sorted(where.iterdir()) if p.suffix in (".tf", ".json") and p.name != "reviews.json"]
    result = scan(inputs, options)
    assert not result.report.errors, [e.message for e in result.report.errors]
    return {f.rule_id for f in result.report.findings}


def _rules() -> list[Rule]:
    return [r for r in all_rules() if r.id not in NOT_SELF_CONTAINED]


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.id)
def test_example_is_reported(rule: Rule, tmp_path: Path) -> None:
    found, options = _write(rule_sections(rule.doc())["Example"], tmp_path, rule.needs_plan)
    assert found, f"{rule.id}: its Example holds no {'plan json' if rule.needs_plan else 'hcl block'} to scan"
    assert rule.id in _rule_ids(tmp_path, options), f"{rule.id}: its own Example is not reported"


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.id)
def test_use_instead_is_not_reported(rule: Rule, tmp_path: Path) -> None:
    example = tmp_path / "example"
    example.mkdir()
    options = _write(rule_sections(rule.doc())["Example"], example, rule.needs_plan)[1]
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    found, fixed_options = _write(rule_sections(rule.doc())["Use instead"], fixed, rule.needs_plan)
    assert found == (rule.id not in FIX_IS_NOT_CONFIG), f"{rule.id}: a Use instead to scan, or FIX_IS_NOT_CONFIG"
    if not found:
        return
    # the fix is judged with the example's config, ledger and reviews unless it gives its own
    for name in (".nhi-guard.toml", "nhi-guard.approvals.toml"):
        if (example / name).exists() and not (fixed / name).exists():
            (fixed / name).write_text((example / name).read_text(encoding="utf-8"), encoding="utf-8")
    if fixed_options.ledger is False and options.ledger:
        fixed_options.ledger = str(fixed / "nhi-guard.approvals.toml")
    if fixed_options.reviews is None:
        fixed_options.reviews, fixed_options.requester = options.reviews, options.requester
    assert rule.id not in _rule_ids(fixed, fixed_options), f"{rule.id}: its Use instead is reported"
