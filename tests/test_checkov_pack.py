"""The Checkov pack as Checkov users meet it: output metadata, skips, isolation, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from checkov_env import checkov_command, checkov_python
from conftest import ROOT, TODAY
from test_checkov_parity import run_checkov

from scanner.rules import get_rule

SEVERITY_SCORE = {"critical": "10.0", "high": "8.9", "medium": "6.9", "low": "3.9"}  # Checkov's SARIF mapping


def test_json_output_carries_ids_titles_severities_and_guidelines() -> None:
    reports, _ = run_checkov("-d", "fixtures/hcl/aws_access_key", "--framework", "terraform", "-o", "json",
                             "--check", "NHI_*")
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    assert {(c["check_id"], c["resource"]) for c in failed} == {
        ("NHI_AWS_001", "aws_iam_access_key.ci"), ("NHI_AWS_001", "aws_iam_access_key.orphan"),
        ("NHI_OWN_001", "aws_iam_user.orphan"), ("NHI_APR_001", "aws_iam_user.orphan"),
        ("NHI_APR_002", "aws_iam_user.orphan")}
    for check in failed:
        rule = get_rule(check["check_id"])
        assert rule is not None
        assert check["check_name"] == rule.title
        assert check["severity"] == rule.severity.value.upper()
        assert check["guideline"] == rule.help_uri()
        assert check["details"] and all("***" not in d for d in check["details"])


def test_sarif_output_carries_rules_with_help_and_security_severity(tmp_path: Path) -> None:
    env = dict(os.environ, NHI_GUARD_TODAY=TODAY.isoformat())
    subprocess.run([*checkov_command(), "--skip-download", "--external-checks-dir", "checks", "-d",
                    "fixtures/hcl/aws_access_key", "--framework", "terraform", "--check", "NHI_*", "-o", "sarif",
                    "--output-file-path", str(tmp_path)], cwd=ROOT, capture_output=True, env=env, timeout=600)
    sarif = json.loads((tmp_path / "results_sarif.sarif").read_text(encoding="utf-8"))
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {"NHI_AWS_001", "NHI_OWN_001", "NHI_APR_001", "NHI_APR_002"}
    for rule_id, entry in rules.items():
        rule = get_rule(rule_id)
        assert rule is not None
        assert entry["shortDescription"]["text"] == rule.title
        assert entry["helpUri"] == rule.help_uri()
        assert entry["properties"]["security-severity"] == SEVERITY_SCORE[rule.severity.value]
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels["NHI_AWS_001"] == "error" and levels["NHI_APR_002"] == "note"


def test_checkov_skip_comment_suppresses_with_its_reason() -> None:
    reports, _ = run_checkov("-d", "tests/data/checkov_skip", "--framework", "terraform", "-o", "json",
                             "--check", "NHI_AWS_001")
    results = reports[0]["results"]
    assert [c["resource"] for c in results["failed_checks"]] == ["aws_iam_access_key.reported"]
    (skipped,) = results["skipped_checks"]
    assert skipped["resource"] == "aws_iam_access_key.skipped"
    assert skipped["check_result"]["suppress_comment"] == "vendor needs a key until OIDC lands"


def test_pack_needs_no_python_hcl2_and_leaves_checkovs_parser_alone() -> None:
    code = (
        "import sys, importlib.util, importlib.metadata as md\n"
        # the scanner side of the pack (rules, adapter model) never imports hcl2 itself
        "spec = importlib.util.spec_from_file_location('scanner', 'scanner/__init__.py',"
        " submodule_search_locations=['scanner'])\n"
        "mod = importlib.util.module_from_spec(spec); sys.modules['scanner'] = mod; spec.loader.exec_module(mod)\n"
        "from scanner.rules import all_rules; all_rules()\n"
        "import scanner.integrations.checkov.graph_model, scanner.integrations.checkov.conf\n"
        "assert 'hcl2' not in sys.modules, 'the scanner imported hcl2'\n"
        # the whole pack loads next to checkov, whose hcl2 is bc-python-hcl2 and stays so
        "sys.path.insert(0, 'checks')\n"
        "import nhi_guard_checks, hcl2\n"
        "names = {d.metadata['Name'].lower() for d in md.distributions()}\n"
        "assert 'python-hcl2' not in names and 'bc-python-hcl2' in names, names\n"
        "assert not hasattr(hcl2, 'SerializationOptions'), hcl2.__file__\n"
        "from checkov.terraform.tf_parser import TFParser\n"
        "print(len(nhi_guard_checks.REGISTERED))\n"
    )
    proc = subprocess.run([str(checkov_python()), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 20


def test_a_crashing_rule_fails_visibly_instead_of_silently() -> None:
    code = (
        "import sys\n"
        "sys.path.insert(0, 'checks')\n"
        "import nhi_guard_checks\n"
        "from scanner.rules import get_rule\n"
        "from scanner.rules.aws.nhi_aws_001_access_key import StaticAccessKey\n"
        "from scanner.integrations.checkov.registration import RuleResourceCheck\n"
        "def boom(self, res, ctx):\n"
        "    raise KeyError('boom')\n"
        "StaticAccessKey.check = boom\n"
        "check = RuleResourceCheck(get_rule('NHI_AWS_001'))\n"
        "check.entity_type = 'aws_iam_access_key'\n"
        "result = check.scan_resource_conf({'user': ['u'], '__address__': 'aws_iam_access_key.k'})\n"
        "print(result.value, check.details)\n"
    )
    proc = subprocess.run([str(checkov_python()), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("FAILED")
    assert "nhi-guard: internal error in rule NHI_AWS_001 on aws_iam_access_key.k: KeyError" in proc.stderr


def test_installed_wheel_ships_the_pack_and_checkov_loads_it_from_there(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("nhi_guard-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)  # what pip install puts in site-packages
    pack = site / "scanner" / "checkov_pack"
    assert (pack / "nhi_guard_checks.py").is_file() and (pack / "__init__.py").is_file()
    env = dict(os.environ, NHI_GUARD_TODAY=TODAY.isoformat())
    proc = subprocess.run([*checkov_command(), "--skip-download", "--external-checks-dir", str(pack), "-d",
                           "fixtures/hcl/aws_access_key", "--framework", "terraform", "-o", "json", "--check",
                           "NHI_AWS_001"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    data = json.loads(proc.stdout)
    assert sorted(c["resource"] for c in data["results"]["failed_checks"]) == [
        "aws_iam_access_key.ci", "aws_iam_access_key.orphan"]


def test_external_checks_git_works_from_a_plain_clone(tmp_path: Path) -> None:
    """What `--external-checks-git https://github.com/<org>/nhi-guard//checks` does, from a local clone."""
    if not (ROOT / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    bare = tmp_path / "nhi-guard.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(bare)], check=True, capture_output=True)
    env = dict(os.environ, NHI_GUARD_TODAY=TODAY.isoformat())
    proc = subprocess.run([*checkov_command(), "--skip-download", "--external-checks-git", f"file://{bare}//checks",
                           "-d", "fixtures/hcl/aws_access_key", "--framework", "terraform", "-o", "json",
                           "--check", "NHI_AWS_001"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    data = json.loads(proc.stdout)
    assert sorted(c["resource"] for c in data["results"]["failed_checks"]) == [
        "aws_iam_access_key.ci", "aws_iam_access_key.orphan"]
