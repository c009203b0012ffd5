"""Separation of duties as code (NHI_SOD_*): config, production scope, and the issue's "done when".

Which gate gets which finding is asserted by the annotated fixtures (fixtures/*/sod_*); this file
checks what they cannot: exact messages, exit codes, config errors and the matching rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT, TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.cli import main
from scanner.policy.config import ApprovalGates, Config, ConfigError, load_config
from scanner.rules.sod.gates import production_environment, production_hits

GATES = ApprovalGates()


def _findings(path: Path, config: Config | None = None) -> list[tuple[str, str, str]]:
    report = scan([str(path)], ScanOptions(config=config or Config(), today=TODAY)).report
    assert report.errors == []
    return [(f.rule_id, f.resource, f.message) for f in report.findings if f.rule_id.startswith("NHI_SOD")]


# --------------------------------------------------------------------------- done when


def test_plan_that_lowers_reviews_and_turns_off_self_review_is_flagged_on_that_resource() -> None:
    found = _findings(FIXTURES / "plan" / "sod_plan_weakening.json")
    weakened = {resource: message for rule, resource, message in found if rule == "NHI_SOD_050"}
    assert weakened["github_branch_protection.main"] == (
        "approval gate weakened: this update of github_branch_protection.main lowers "
        "required_pull_request_reviews.required_approving_review_count from 2 to 0: a merge now needs no "
        "approval; sets required_pull_request_reviews.require_code_owner_reviews from true to false: changes "
        "to owned code merge without the code owners"
    )
    assert weakened["github_repository_environment.production"] == (
        "approval gate weakened: this update of github_repository_environment.production sets "
        "prevent_self_review from true to false: the person who triggers a deployment approves it"
    )
    assert weakened["github_repository_ruleset.features"] == (
        "approval gate weakened: this update of github_repository_ruleset.features sets "
        "rules.pull_request.require_code_owner_review from true to false: changes to owned code merge "
        "without the code owners; adds bypass actors Integration (GitHub App 912345) (always): they merge "
        "with no pull request and no approval"
    )
    # 2 -> 1 stays above the default min_approvals of 1; a stricter update is no weakening
    assert "github_branch_protection.master" not in weakened
    assert "github_branch_protection.develop" not in weakened


def test_two_to_one_is_a_weakening_where_the_config_asks_for_two() -> None:
    case = FIXTURES / "plan" / "sod_min_approvals"
    found = _findings(case / "plan.json", load_config(case / ".nhi-guard.toml"))
    assert ("NHI_SOD_050", "github_branch_protection.main",
            "approval gate weakened: this update of github_branch_protection.main lowers "
            "required_pull_request_reviews.required_approving_review_count from 2 to 1: a merge now needs only "
            "1 approval(s)") in found


def test_release_pipeline_answer_fails_and_the_reviewed_one_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    risky = CliRunner().invoke(main, ["scan", "fixtures/markdown/sod_release_pipeline.md", "--fail-on", "high",
                                      "--format", "json"])
    assert risky.exit_code == 1
    gates = {f["resource"] for f in json.loads(risky.stdout)["findings"] if f["category"] == "approval"}
    assert gates == {
        "github_branch_protection.main", "github_branch_protection.release", "github_repository_ruleset.default_branch",
        "github_repository_environment.production", "github_workflow_repository_permissions.payments_api",
        "gitlab_project_level_mr_approvals.payments_api", "gitlab_project_approval_rule.any",
        "azuredevops_check_approval.production", "azuredevops_branch_policy_min_reviewers.main",
        "azuredevops_branch_policy_min_reviewers.release",
    }
    sound = CliRunner().invoke(main, ["scan", "fixtures/markdown/sod_release_pipeline_reviewed.md"])
    assert sound.exit_code == 0, sound.stdout


def test_messages_name_resource_attribute_and_who_approves() -> None:
    found = {(rule, resource): message for rule, resource, message in _findings(FIXTURES / "hcl" / "sod_azuredevops")}
    assert found[("NHI_SOD_020", "azuredevops_check_approval.production")] == (
        "azuredevops_check_approval.production sets requester_can_approve = true on environment `production`: "
        "whoever queues a run that uses the environment approves it"
    )
    github = {(rule, resource): message for rule, resource, message in _findings(FIXTURES / "hcl" / "sod_github")}
    assert github[("NHI_SOD_006", "github_repository_environment.production")] == (
        "github_repository_environment.production lets the person who triggers a deployment to production "
        "environment `production` approve it (prevent_self_review not set (false by default)): the requester "
        "is also the approver"
    )


# --------------------------------------------------------------------------- production scope


@pytest.mark.parametrize(
    ("name", "production"),
    [
        ("prod", True), ("Production", True), ("eu-prod", True), ("prod_us", True), ("LIVE", True),
        ("production-blue", True), ("staging", False), ("non-prod", False), ("pre-production", False),
        ("preprod", False), ("productivity", False), ("dev", False),
    ],
)
def test_production_environment_names(name: str, production: bool) -> None:
    assert production_environment(name, GATES) is production


def test_production_environment_globs() -> None:
    gates = ApprovalGates(production_environments=["prd", "customer-*"])
    assert production_environment("customer-acme", gates)
    assert production_environment("PRD", gates)
    assert not production_environment("production", gates)


@pytest.mark.parametrize(
    ("include", "exclude", "defaults", "hits"),
    [
        (["main"], [], set(), ["main"]),
        (["refs/heads/main"], [], set(), ["main"]),
        (["*"], [], set(), ["main", "master"]),  # `*` stays within one segment: not release/x
        (["**"], [], set(), ["main", "master", "release/*"]),
        (["release/v2"], [], set(), ["release/*"]),
        (["release/*/hotfix"], [], set(), []),
        (["trunk"], [], {"trunk"}, ["~DEFAULT_BRANCH"]),
        (["~DEFAULT_BRANCH"], [], {"main"}, ["~DEFAULT_BRANCH", "main"]),
        (["~ALL"], ["release/*"], set(), ["~DEFAULT_BRANCH", "main", "master"]),
        (["~ALL"], ["release/v1"], set(), ["~DEFAULT_BRANCH", "main", "master", "release/*"]),
        (["feature/*", "gh-pages"], [], set(), []),
    ],
)
def test_production_branches(include: list[str], exclude: list[str], defaults: set[str], hits: list[str]) -> None:
    assert production_hits(include, exclude, GATES, defaults) == hits


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[approval_gates]\nproduction_branch = ['main']\n", "unknown key 'approval_gates.production_branch'"),
        ("[approval_gates]\nmin_approvals = 0\n", "key 'approval_gates.min_approvals'"),
        ("[approval_gates]\nmin_approvals = '2'\n", "key 'approval_gates.min_approvals'"),
        ("[approval_gates]\nproduction_environments = ['prod', ' ']\n", "an empty name matches nothing"),
    ],
)
def test_bad_approval_gates_config(tmp_path: Path, toml: str, needle: str) -> None:
    path = tmp_path / ".nhi-guard.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert needle in str(err.value)
