"""Approval that proves itself (issue 14): the ledger, `nhi-guard approve`, reviews, who may approve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import TODAY

from scanner.api import ScanError, ScanOptions, approve, scan
from scanner.integrations.cli import main
from scanner.policy.codeowners import parse
from scanner.policy.ledger import LEDGER_NAME, LedgerError, load_ledger, toml_string
from scanner.policy.people import placeholder_reason, same_person
from scanner.policy.reviews import parse_reviews

ROLE = """resource "aws_iam_role" "etl" {
  name               = "etl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "glue.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = { owner = "team-data", requested_by = "alice" }
}

resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::raw-bucket/*" }]
  })
}
"""
WIDENED = ROLE.replace('Action = ["s3:GetObject"]', 'Action = ["s3:GetObject", "s3:PutObject"]')
LEDGER_TEXT = """# nhi-guard approval ledger: one entry per approved identity, sorted by module and address.
# Written by `nhi-guard approve` (docs/approval.md). An entry approves the grants listed in it:
# when the identity's grants change, the approval no longer counts until it is given again.
version = 1

[[approval]]
module = "infra"
address = "aws_iam_role.etl"
type = "aws_iam_role"
approved_by = "bob"
ticket = "CHG-1234"
requested_by = "alice"
approved_on = 2026-11-01
expires = 2027-05-01
digest = "sha256:6eaa80a6096823b23704cf086895cfc39f712ab05265f7373afac35195e6fdf3"
grants = [
  "s3:GetObject on arn:aws:s3:::raw-bucket/*",
  "trust sts:AssumeRole by Service glue.amazonaws.com",
]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one module, the working directory of the test."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(ROLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    for name in ("NHI_GUARD_REQUESTER", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    return result


def findings(*args: str) -> tuple[int, list[tuple[str, str, str]]]:
    result = cli("scan", *args, "--format", "json")
    data = json.loads(result.stdout)
    return result.exit_code, [(f["rule_id"], f["resource"], f["message"]) for f in data["findings"]]


# --- approve, then scan: the ledger binds the approval to the grants ------------------------------


def test_approve_writes_the_ledger_and_an_unchanged_role_passes(repo: Path) -> None:
    assert findings("infra")[1] == [
        ("NHI_APR_001", "aws_iam_role.etl", "identity aws_iam_role.etl has no `approved_by`; set it in tags"),
        ("NHI_APR_002", "aws_iam_role.etl", "identity aws_iam_role.etl has no change ticket; set `change_ticket` "
                                            "in tags"),
    ]  # fmt: skip
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1234",
                 "--expires", "2027-05-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "approved aws_iam_role.etl in infra: 2 grant(s), sha256:6eaa80a60968; by bob under CHG-1234, "
        "requested by alice, until 2027-05-01\n"
    )
    assert result.stderr == f"nhi-guard: created {LEDGER_NAME} (1 entry)\n"
    assert (repo / LEDGER_NAME).read_text(encoding="utf-8") == LEDGER_TEXT
    assert findings("infra") == (0, [])  # discovered above the module, like a config file


def test_a_role_whose_policy_gained_put_object_fails_naming_the_action(repo: Path) -> None:
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    (repo / "infra" / "main.tf").write_text(WIDENED, encoding="utf-8")
    code, found = findings("infra")
    assert code == 1
    assert found == [(
        "NHI_APR_005",
        "aws_iam_role.etl",
        "identity aws_iam_role.etl: grants changed since approval by bob (CHG-1234, 2026-11-01, "
        "nhi-guard.approvals.toml:6): + s3:PutObject on arn:aws:s3:::raw-bucket/*",
    )]  # fmt: skip
    # a removed grant is named too, and the approval holds again once the change is reverted
    (repo / "infra" / "main.tf").write_text(ROLE.replace("s3:GetObject", "s3:ListBucket"), encoding="utf-8")
    assert findings("infra")[1][0][2].endswith(
        "+ s3:ListBucket on arn:aws:s3:::raw-bucket/*; - s3:GetObject on arn:aws:s3:::raw-bucket/*"
    )
    (repo / "infra" / "main.tf").write_text(ROLE, encoding="utf-8")
    assert findings("infra") == (0, [])


def test_reapproval_rewrites_the_entry_sorted_and_keeps_the_others(repo: Path) -> None:
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    user = 'resource "aws_iam_user" "a" {\n  name = "a"\n  tags = { owner = "x" }\n}\n'
    (repo / "infra" / "main.tf").write_text(WIDENED + user, "utf-8")
    assert cli("approve", "infra", "aws_iam_user.a", "aws_iam_role.etl", "--by", "carol", "--ticket", "CHG-9",
               "--requester", "dave").exit_code == 0  # fmt: skip
    ledger = load_ledger(repo / LEDGER_NAME)
    assert [(e.address, e.approved_by, e.requested_by, e.expires, len(e.grants)) for e in ledger.entries.values()] == [
        ("aws_iam_role.etl", "carol", "dave", None, 3),
        ("aws_iam_user.a", "carol", "dave", None, 0),
    ]
    assert findings("infra") == (0, [])


def test_expired_approval_is_a_finding(repo: Path) -> None:
    expired = LEDGER_TEXT.replace("2027-05-01", "2026-10-31").replace("on = 2026-11-01", "on = 2026-05-02")
    (repo / LEDGER_NAME).write_text(expired, encoding="utf-8")
    assert findings("infra") == (1, [(
        "NHI_APR_006",
        "aws_iam_role.etl",
        "approval of identity aws_iam_role.etl by bob (CHG-1234) expired on 2026-10-31 (nhi-guard.approvals.toml:6)",
    )])  # fmt: skip


def test_tags_keep_working_without_a_ledger_and_with_no_ledger(repo: Path) -> None:
    tagged = ROLE.replace('requested_by = "alice" }', 'requested_by = "alice", approved_by = "bob", ticket = "CHG-1" }')
    (repo / "infra" / "main.tf").write_text(tagged, encoding="utf-8")
    assert findings("infra") == (0, [])
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT.replace('"bob"', '"alice"'), encoding="utf-8")
    assert [f[0] for f in findings("infra")[1]] == ["NHI_APR_003"]  # the ledger entry wins over the tags
    assert findings("infra", "--no-ledger") == (0, [])
    assert findings("infra", "--ledger", "elsewhere.toml") == (0, [])  # a ledger not written yet is empty


def test_explicit_ledger_and_the_api(repo: Path) -> None:
    (repo / "approvals").mkdir()
    other = repo / "approvals" / "prod.toml"
    other.write_text(LEDGER_TEXT.replace('module = "infra"', 'module = "../infra"'), encoding="utf-8")
    assert findings("infra", "--ledger", str(other)) == (0, [])
    result = scan(["infra"], ScanOptions(ledger=other))
    assert (result.exit_code, result.report.findings) == (0, [])
    assert [f.rule_id for f in scan(["infra"], ScanOptions(ledger=False)).report.findings] == [
        "NHI_APR_001",
        "NHI_APR_002",
    ]


# --- approve: what it refuses ---------------------------------------------------------------------


def test_a_commit_named_by_fewer_than_seven_digits_is_not_the_head(repo: Path) -> None:
    # "4" is a prefix of every head starting with 4: it names no commit
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    short = dict(review(1, "bob", "APPROVED", 1), commit_id="4f2a9c")
    (repo / "reviews.json").write_text(json.dumps([short]), encoding="utf-8")
    code, found = findings("infra", "--reviews", "reviews.json", "--requester", "alice", "--head-sha", "4f2a9c1e")
    assert (code, [f[0] for f in found]) == (1, ["NHI_APR_007"])
    assert "is of commit 4f2a9c, not of the pull request's head 4f2a9c1e" in found[0][2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["aws_iam_role.et"], "approve: no identity, credential or secret aws_iam_role.et in infra; did you mean "
                              "aws_iam_role.etl? (there are: aws_iam_role.etl)"),
        (["aws_iam_role_policy.read"], "approve: aws_iam_role_policy.read in infra is a grant, not an identity: "
                                       "approve the identity it grants to (its grants are part of that identity's "
                                       "approval)"),
        (["aws_iam_role.etl", "--by", "TBD"], "approve: --by 'TBD': it is a placeholder, not a person; name the "
                                              "person who approved the change"),
        (["aws_iam_role.etl", "--by", "ops@example.com"], "approve: --by 'ops@example.com': it is an address at a "
                                                          "domain reserved for examples; name the person who approved "
                                                          "the change"),
        (["aws_iam_role.etl", "--requester", "Bob"], "approve: the approver (bob) is the requester (Bob); someone "
                                                     "else must approve"),
        (["aws_iam_role.etl", "--expires", "2026-11-01"], "approve: --expires 2026-11-01 is not after today "
                                                          "(2026-11-01)"),
        # the requester from the identity's requested_by tag (alice) may not approve either
        (["aws_iam_role.etl", "--by", "Alice"], "approve: the approver (Alice) is the requester of aws_iam_role.etl "
                                                "(alice, its requested_by); someone else must approve"),
    ],
)  # fmt: skip
def test_approve_refuses_with_a_clear_error(repo: Path, args: list[str], message: str) -> None:
    address, *rest = args
    base = ["--by", "bob"] if "--by" not in rest else []
    result = cli("approve", "infra", address, *base, "--ticket", "CHG-1", *rest)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"nhi-guard: error: {message}\n")
    assert not (repo / LEDGER_NAME).exists()  # nothing written


def test_approve_refuses_the_provisioner_bad_tickets_and_broken_inputs(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text(
        "ticket_pattern = '^CHG-\\d+$'\n[approval]\nprovisioner = ['terraform-ci']\n", encoding="utf-8"
    )
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "terraform-ci", "--ticket", "CHG-1")
    assert result.stderr == ("nhi-guard: error: approve: terraform-ci is the provisioner (config [approval] "
                             "provisioner): it may not approve or request the change\n")  # fmt: skip
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "see slack")
    assert result.stderr == ("nhi-guard: error: approve: --ticket 'see slack' does not match the config's "
                             "ticket_pattern `^CHG-\\d+$`\n")  # fmt: skip
    (repo / "infra" / "broken.tf").write_text('resource "aws_iam_user" "x" {\n', encoding="utf-8")
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1")
    assert result.exit_code == 2
    assert result.stderr.startswith("nhi-guard: error: approve: cannot bind approvals to grants read from inputs "
                                    "with errors: infra/broken.tf:")  # fmt: skip


def test_approve_refuses_an_identity_read_from_stdin(repo: Path) -> None:
    # it once wrote an entry for module "<stdin>", which no scan looks up, and said "approved"
    text = (repo / "infra" / "main.tf").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["approve", "-", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1"],
                                input=text)  # fmt: skip
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("nhi-guard: error: approve: aws_iam_role.etl is read from <stdin>, which no ledger "
                             "governs; approve it in the file or directory that declares it\n")  # fmt: skip
    assert not (repo / LEDGER_NAME).exists()


def test_a_local_module_called_from_two_roots_is_approved_once_per_root(repo: Path) -> None:
    # prod and staging call modules/etl with different actions: module.etl.aws_iam_role.etl is one
    # block in one file, but two identities with two sets of grants, so two ledger entries
    (repo / "modules" / "etl").mkdir(parents=True)
    (repo / "modules" / "etl" / "main.tf").write_text(
        'variable "actions" {}\n' + ROLE.replace('Action = ["s3:GetObject"]', "Action = var.actions"), "utf-8"
    )
    for root, actions in (("prod", '["s3:GetObject"]'), ("staging", '["s3:GetObject", "s3:PutObject"]')):
        (repo / root).mkdir()
        (repo / root / "main.tf").write_text(
            f'provider "aws" {{}}\nmodule "etl" {{\n  source  = "../modules/etl"\n  actions = {actions}\n}}\n', "utf-8"
        )
    address = "module.etl.aws_iam_role.etl"
    assert cli("approve", "prod", address, "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert cli("approve", "staging", address, "--by", "bob", "--ticket", "CHG-2").exit_code == 0
    entries = load_ledger(repo / LEDGER_NAME).entries.values()
    assert sorted((e.module, e.address, e.ticket, len(e.grants)) for e in entries) == [
        ("prod", address, "CHG-1", 2), ("staging", address, "CHG-2", 3)
    ]
    assert findings("prod", "staging") == (0, [])
    result = cli("approve", ".", address, "--by", "bob", "--ticket", "CHG-3")
    assert result.stderr == (f"nhi-guard: error: approve: {address} is in several modules (prod, staging); "
                             "approve it with the one module directory as PATH\n")  # fmt: skip


def test_a_ledger_in_the_root_module_approves_the_identities_of_the_modules_it_calls(repo: Path) -> None:
    """The scan looked for the ledger from the called module's file (modules/etl/main.tf), approve
    from the root; the approval written into prod/ was never read."""
    (repo / "modules" / "etl").mkdir(parents=True)
    (repo / "modules" / "etl" / "main.tf").write_text(ROLE, "utf-8")
    (repo / "prod").mkdir()
    (repo / "prod" / "main.tf").write_text('provider "aws" {}\nmodule "etl" {\n  source = "../modules/etl"\n}\n',
                                           "utf-8")  # fmt: skip
    (repo / "prod" / LEDGER_NAME).write_text("version = 1\n", "utf-8")
    assert cli("approve", "prod", "module.etl.aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert [(e.module, e.address) for e in load_ledger(repo / "prod" / LEDGER_NAME).entries.values()] == [
        (".", "module.etl.aws_iam_role.etl")
    ]
    assert findings("prod") == (0, [])


def test_a_path_through_a_symbolic_link_is_the_same_module_for_the_ledger(repo: Path) -> None:
    assert cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    (repo / "linked").symlink_to(repo / "infra", target_is_directory=True)
    assert findings("linked") == (0, [])
    assert cli("approve", "linked", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-2").exit_code == 0
    assert [(e.module, e.ticket) for e in load_ledger(repo / LEDGER_NAME).entries.values()] == [("infra", "CHG-2")]


def test_root_directories_named_like_tf_files_are_two_modules(repo: Path) -> None:
    for root in ("a.tf", "b.tf"):
        (repo / root).mkdir()
        (repo / root / "main.tf").write_text(ROLE, "utf-8")
    assert cli("approve", "a.tf", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert sorted(e.module for e in load_ledger(repo / LEDGER_NAME).entries.values()) == ["a.tf"]
    assert findings("a.tf")[0] == 0
    code, found = findings("b.tf")
    assert code == 1 and {rule for rule, _, _ in found} == {"NHI_APR_001", "NHI_APR_002"}


def test_approve_refuses_a_requested_by_tag_that_names_the_provisioner(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text("[approval]\nprovisioner = ['alice']\n", encoding="utf-8")
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1")
    assert (result.exit_code, result.stderr) == (2, "nhi-guard: error: approve: alice is the provisioner (config "
                                                    "[approval] provisioner): it may not approve or request the "
                                                    "change (aws_iam_role.etl's requested_by)\n")  # fmt: skip
    assert not (repo / LEDGER_NAME).exists()


def test_approve_with_the_same_address_in_two_modules_asks_for_one(repo: Path) -> None:
    (repo / "infra" / "prod").mkdir()
    (repo / "infra" / "prod" / "main.tf").write_text(ROLE, encoding="utf-8")
    result = cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1")
    assert result.stderr == ("nhi-guard: error: approve: aws_iam_role.etl is in several modules (infra, infra/prod); "
                             "approve it with the one module directory as PATH\n")  # fmt: skip
    assert cli("approve", "infra/prod", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert [e.module for e in load_ledger(repo / LEDGER_NAME).entries.values()] == ["infra/prod"]


def test_default_ledger_location(repo: Path, tmp_path: Path) -> None:
    # next to the config file that governs the path, when there is one
    (repo / "infra" / ".nhi-guard.toml").write_text("", encoding="utf-8")
    assert cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert (repo / "infra" / LEDGER_NAME).is_file() and not (repo / LEDGER_NAME).exists()
    # an existing ledger above the path is found and updated
    (repo / "infra" / ".nhi-guard.toml").unlink()
    assert cli("approve", "infra", "aws_iam_role.etl", "--by", "carol", "--ticket", "CHG-2").exit_code == 0
    assert not (repo / LEDGER_NAME).exists()
    (repo / "infra" / LEDGER_NAME).unlink()
    # else the repository root
    assert cli("approve", "infra", "aws_iam_role.etl", "--by", "bob", "--ticket", "CHG-1").exit_code == 0
    assert (repo / LEDGER_NAME).is_file()


def test_approve_through_the_api(repo: Path) -> None:
    result = approve(["infra"], ["aws_iam_role.etl"], "bob", "CHG-1234", requester="alice",
                     options=ScanOptions(today=TODAY))  # fmt: skip
    assert result.created and result.ledger.path == repo / LEDGER_NAME
    (entry,) = result.entries
    assert (entry.module, entry.digest, entry.grants) == (
        "infra",
        "sha256:6eaa80a6096823b23704cf086895cfc39f712ab05265f7373afac35195e6fdf3",
        ("s3:GetObject on arn:aws:s3:::raw-bucket/*", "trust sts:AssumeRole by Service glue.amazonaws.com"),
    )
    with pytest.raises(ScanError, match="approve: name at least one identity address"):
        approve(["infra"], [], "bob", "CHG-1")


# --- a ledger that cannot be used ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("version = 1", "version = 2"),
         "nhi-guard.approvals.toml: key 'version': must be 1 (the version this nhi-guard writes and reads)"),
        (lambda t: t.replace('approved_by = "bob"\n', ""),
         "nhi-guard.approvals.toml:6: approval[0]: key 'approved_by' is missing: the approver's name or login"),
        (lambda t: t.replace("approved_on = 2026-11-01", 'approved_on = "yesterday"'),
         "nhi-guard.approvals.toml:6: approval[0]: key 'approved_on': must be a date like 2026-11-01, not a string"),
        (lambda t: t.replace('ticket = "CHG-1234"', 'ticket = "CHG-1234"\napprover = "bob"'),
         "nhi-guard.approvals.toml:6: approval[0]: unknown key 'approver'; allowed keys: address, approved_by, "
         "approved_on, digest, expires, grants, module, requested_by, ticket, type"),
        (lambda t: t.replace('digest = "sha256:6e', 'digest = "md5:6e'),
         "nhi-guard.approvals.toml:6: approval[0]: key 'digest': must be sha256:<64 hex digits>, as nhi-guard "
         "approve writes it"),
        (lambda t: t.replace('  "s3:GetObject on arn:aws:s3:::raw-bucket/*",\n', ""),
         "nhi-guard.approvals.toml:6: approval[0] (aws_iam_role.etl): key 'digest': does not match the grants listed "
         "in the entry; it was edited by hand: run `nhi-guard approve` again"),
        (lambda t: t + t[t.index("[[approval]]"):],
         "nhi-guard.approvals.toml:20: approval[1]: aws_iam_role.etl in module 'infra' is already approved at line 6; "
         "keep one entry per identity"),
        (lambda t: t.replace("expires = 2027-05-01", "expires = 2026-01-01"),
         "nhi-guard.approvals.toml:6: approval[0]: key 'expires': 2026-01-01 is before approved_on 2026-11-01"),
    ],
)  # fmt: skip
def test_malformed_ledger_is_an_error_naming_file_line_and_key(repo: Path, edit: Any, message: str) -> None:
    (repo / LEDGER_NAME).write_text(edit(LEDGER_TEXT), encoding="utf-8")
    result = cli("scan", "infra")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"nhi-guard: error: {message}\n")


def test_invalid_toml_names_the_line(repo: Path) -> None:
    (repo / LEDGER_NAME).write_text("version = 1\n[[approval]\n", encoding="utf-8")
    result = cli("scan", "infra")
    assert result.exit_code == 2
    assert result.stderr.startswith("nhi-guard: error: nhi-guard.approvals.toml: invalid TOML: ")
    assert "line 2" in result.stderr
    with pytest.raises(LedgerError, match="cannot read the approval ledger"):
        load_ledger(repo)  # a directory


def test_toml_strings_survive_any_text(tmp_path: Path) -> None:
    from scanner.policy.config import toml_module

    tomllib = toml_module()

    text = 'a "quoted" \\ back\tslash\nline \x1b[2J \x7f é \udcff'
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text.replace("\udcff", "\ufffd")


# --- reviews ---------------------------------------------------------------------------------------


def review(rid: int, login: str, state: str, minute: int) -> dict[str, Any]:
    return {"id": rid, "user": {"login": login}, "state": state, "body": "", "author_association": "MEMBER",
            "submitted_at": f"2026-10-30T09:{minute:02d}:00Z", "commit_id": "4f2a9c1e"}  # fmt: skip


@pytest.mark.parametrize(
    ("reviews", "expected"),
    [
        ([review(1, "bob", "COMMENTED", 1)],
         [("NHI_APR_007", "aws_iam_role.etl", "identity aws_iam_role.etl names bob as approver (approval ledger "
           "nhi-guard.approvals.toml:6), but their only review (#1, 2026-10-30T09:01:00Z) is a comment, not an "
           "approval")]),
        ([review(1, "bob", "COMMENTED", 1), review(2, "bob", "APPROVED", 2)], []),
        ([review(1, "bob", "APPROVED", 1), review(2, "bob", "CHANGES_REQUESTED", 2)],
         [("NHI_APR_007", "aws_iam_role.etl", "identity aws_iam_role.etl names bob as approver (approval ledger "
           "nhi-guard.approvals.toml:6), but their latest review (#2, 2026-10-30T09:02:00Z) requests changes")]),
        ([review(1, "bob", "APPROVED", 1), review(2, "bob", "DISMISSED", 2)],
         [("NHI_APR_007", "aws_iam_role.etl", "identity aws_iam_role.etl names bob as approver (approval ledger "
           "nhi-guard.approvals.toml:6), but their latest review (#2, 2026-10-30T09:02:00Z) was dismissed")]),
        ([review(1, "bob", "APPROVED", 1), review(2, "bob", "COMMENTED", 2)], []),  # a comment withdraws nothing
        ([review(2, "bob", "CHANGES_REQUESTED", 2), review(1, "bob", "APPROVED", 1)],  # by time, not list order
         [("NHI_APR_007", "aws_iam_role.etl", "identity aws_iam_role.etl names bob as approver (approval ledger "
           "nhi-guard.approvals.toml:6), but their latest review (#2, 2026-10-30T09:02:00Z) requests changes")]),
        ([review(1, "carol", "APPROVED", 1)],
         [("NHI_APR_007", "aws_iam_role.etl", "identity aws_iam_role.etl names bob as approver (approval ledger "
           "nhi-guard.approvals.toml:6), but they have not reviewed the pull request")]),
    ],
)  # fmt: skip
def test_named_approver_counts_only_if_their_latest_decision_approves(
    repo: Path, reviews: list[dict[str, Any]], expected: list[tuple[str, str, str]]
) -> None:
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    (repo / "reviews.json").write_text(json.dumps(reviews), encoding="utf-8")
    code, found = findings("infra", "--reviews", "reviews.json", "--requester", "alice")
    assert (code, found) == (1 if expected else 0, expected)


STALE = (
    "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
    "approval (#1, 2026-10-30T09:01:00Z) is of commit 4f2a9c1e, not of the pull request's head {head}: the change "
    "has changed since, so what they approved is not what merges"
)


@pytest.mark.parametrize(
    ("head", "config", "stale"),
    [
        ("4f2a9c1e", "", False),  # the approved commit is the head
        ("4F2A9C1E00112233445566778899aabbccddeeff", "", False),  # a short SHA, any case
        ("9d8e7f60", "", True),  # the author pushed after bob approved
        ("9d8e7f60", "[approval]\naccept_earlier_commits = true\n", False),
    ],
)  # fmt: skip
def test_an_approval_of_another_commit_than_the_head_does_not_count(
    repo: Path, head: str, config: str, stale: bool
) -> None:
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    (repo / ".nhi-guard.toml").write_text(config, encoding="utf-8")
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "APPROVED", 1)]), encoding="utf-8")
    code, found = findings("infra", "--reviews", "reviews.json", "--requester", "alice", "--head-sha", head)
    want = [("NHI_APR_007", "aws_iam_role.etl", STALE.format(head=head[:12]))] if stale else []
    assert (code, found) == (1 if stale else 0, want)
    # without the head, the same reviews approve
    assert findings("infra", "--reviews", "reviews.json", "--requester", "alice") == (0, [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--head-sha", "4f2a9c1e"],
         "nhi-guard: error: --head-sha needs --reviews: it says which commit the reviews must approve"),
        (["--head-sha", "main", "--reviews", "reviews.json"],
         "nhi-guard: error: head_sha: expected a commit's hexadecimal SHA (7 to 40 digits)"),
    ],
)  # fmt: skip
def test_head_sha_is_checked(repo: Path, args: list[str], message: str) -> None:
    (repo / "reviews.json").write_text("[]", encoding="utf-8")
    result = cli("scan", "infra", *args)
    assert (result.exit_code, result.stderr.strip()) == (2, message)


def test_a_time_without_an_offset_is_utc(repo: Path) -> None:
    # once a traceback: a naive time was compared with the aware ones of the other reviews
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    later = dict(review(2, "bob", "CHANGES_REQUESTED", 2), submitted_at="2026-10-30T09:02:00")
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "APPROVED", 1), later]), encoding="utf-8")
    code, found = findings("infra", "--reviews", "reviews.json", "--requester", "alice")
    assert (code, [f[2] for f in found]) == (1, [
        "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
        "latest review (#2, 2026-10-30T09:02:00) requests changes"
    ])  # fmt: skip


def test_every_page_of_gh_api_paginate_slurp_is_read(repo: Path) -> None:
    # 30 reviews to a page: bob's approval on page 1 was dismissed on page 2; reading only page 1
    # (`gh api` without --paginate, as the README once said) would have counted it
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    first = [review(1, "bob", "APPROVED", 1)] + [review(i, "carol", "COMMENTED", i) for i in range(2, 31)]
    (repo / "reviews.json").write_text(json.dumps([first, [review(31, "bob", "DISMISSED", 31)]]), encoding="utf-8")
    code, found = findings("infra", "--reviews", "reviews.json", "--requester", "alice")
    assert (code, [f[2] for f in found]) == (1, [
        "identity aws_iam_role.etl names bob as approver (approval ledger nhi-guard.approvals.toml:6), but their "
        "latest review (#31, 2026-10-30T09:31:00Z) was dismissed"
    ])  # fmt: skip
    (repo / "reviews.json").write_text("[[]]", encoding="utf-8")  # --slurp of a pull request with no review
    assert findings("infra", "--reviews", "reviews.json", "--requester", "alice")[0] == 1


def test_the_requesters_own_review_never_counts(repo: Path) -> None:
    # bob approved as bob-gh (an alias); when bob is also the requester, no review of theirs counts
    from scanner.model.resource import Model
    from scanner.policy.config import Config
    from scanner.policy.context import Context
    from scanner.policy.metadata import MetadataResolver
    from scanner.rules.governance.approval import NO_REVIEW, check_approver

    config = Config.model_validate({"aliases": {"bob": ["bob-gh"]}})
    reviews = parse_reviews([review(1, "bob-gh", "APPROVED", 1), review(2, "bob", "COMMENTED", 2)], "r")
    ctx = Context(Model([]), config, MetadataResolver(Model([]), config), TODAY, reviews=reviews)
    checked = check_approver("bob", ctx, ["BOB"])
    assert checked is not None and (checked.state, checked.review, checked.logins) == (NO_REVIEW, None, [])
    checked = check_approver("bob", ctx, ["alice"])
    assert checked is not None and checked.verified and checked.logins == ["bob-gh", "bob"]
    # in a scan, an approver who is the requester is NHI_APR_003 alone
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "APPROVED", 1)]), encoding="utf-8")
    assert [f[0] for f in findings("infra", "--reviews", "reviews.json", "--requester", "bob")[1]] == ["NHI_APR_003"]


def test_tag_approvers_are_checked_too_and_pending_and_ghost_reviews_are_ignored(repo: Path) -> None:
    tagged = ROLE.replace('requested_by = "alice" }', 'requested_by = "alice", approved_by = "bob", ticket = "CHG-1" }')
    (repo / "infra" / "main.tf").write_text(tagged, encoding="utf-8")
    pending = {"id": 3, "user": {"login": "bob"}, "state": "PENDING", "submitted_at": None, "commit_id": "x"}
    ghost = {"id": 4, "user": None, "state": "APPROVED", "submitted_at": "2026-10-30T09:09:00Z", "commit_id": "x"}
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "APPROVED", 1), pending, ghost]), "utf-8")
    assert findings("infra", "--reviews", "reviews.json") == (0, [])
    (repo / "reviews.json").write_text(json.dumps([pending, ghost]), "utf-8")
    assert [f[2] for f in findings("infra", "--reviews", "reviews.json")[1]] == [
        "identity aws_iam_role.etl names bob as approver, but they have not reviewed the pull request"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"message": "Not Found", "documentation_url": "https://docs.github.com"}',
         "reviews.json: must be a JSON array of reviews, as GET /repos/{owner}/{repo}/pulls/{n}/reviews returns, "
         "not an object (an error response from the API: Not Found)"),
        ('"APPROVED"', "reviews.json: must be a JSON array of reviews, as GET /repos/{owner}/{repo}/pulls/{n}/reviews "
                       "returns"),
        ("[1]", "reviews.json: [0]: must be a review object"),
        ('[{"id": "1", "user": {"login": "bob"}, "state": "APPROVED"}]', "reviews.json: [0].id: must be the review's "
                                                                         "number"),
        ('[{"id": 1, "user": {"login": "bob"}, "state": "LGTM"}]', "reviews.json: [0].state: must be one of APPROVED, "
                                                                   "CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING, "
                                                                   'not "LGTM"'),
        ('[{"id": 1, "user": {}, "state": "APPROVED"}]', "reviews.json: [0].user.login: must be the reviewer's login"),
        # once a traceback (TypeError: a naive datetime.min compared with the aware times of the others)
        ('[{"id": 1, "user": {"login": "bob"}, "state": "APPROVED", "submitted_at": "2026-10-30T09:01:00Z"}, '
         '{"id": 2, "user": {"login": "bob"}, "state": "DISMISSED", "submitted_at": "yesterday"}]',
         'reviews.json: [1].submitted_at: must be an ISO 8601 time, not "yesterday"'),
        ("[{", "reviews.json: not JSON: Expecting property name enclosed in double quotes: line 1 column 3 (char 2)"),
        # `gh api --paginate` without --slurp: one array per page, back to back
        ("[][]", "reviews.json: not JSON: Extra data: line 1 column 3 (char 2); with `gh api --paginate`, add --slurp"),
    ],
)  # fmt: skip
def test_a_reviews_file_that_is_not_a_reviews_array_is_an_error(repo: Path, content: str, message: str) -> None:
    (repo / "reviews.json").write_text(content, encoding="utf-8")
    result = cli("scan", "infra", "--reviews", "reviews.json")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"nhi-guard: error: {message}\n")


# --- who may approve -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["TBD", "todo", "N/A", "n/a", "<name>", "<approver>", "xxx", "XXXX", "changeme", "change-me", "{{ approver }}",
     "bob@example.com", "ops@acme.example", "sec@corp.example.org", "someone", "?", "-",
     "@TBD", "@todo", "@<name>", "@changeme", "@"],  # a login written as a mention (same_person drops the @)
)  # fmt: skip
def test_placeholders(name: str) -> None:
    assert placeholder_reason(name)


@pytest.mark.parametrize("name", ["bob", "bob.smith@acme.io", "alice-gh", "Dana Xu", "exampleuser", "tbdavis"])
def test_real_names_are_not_placeholders(name: str) -> None:
    assert placeholder_reason(name) is None


def test_same_person_ignores_case_the_at_sign_and_follows_aliases() -> None:
    aliases = {"alice": ["alice@acme.io", "alice-gh"]}
    assert same_person("@Alice-GH", "alice@acme.io", aliases)
    assert not same_person("alice", "bob", aliases)


def test_allowed_approvers_with_teams(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text('[approval]\napprovers = ["carol", "@acme/security"]\n', encoding="utf-8")
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    # without the team's members, the team rules nobody out
    assert findings("infra") == (0, [])
    (repo / "teams.json").write_text(json.dumps({"acme/security": ["dave"]}), encoding="utf-8")
    assert findings("infra", "--teams", "teams.json") == (1, [(
        "NHI_APR_009", "aws_iam_role.etl",
        "identity aws_iam_role.etl: bob is not one of the allowed approvers (carol, @acme/security)",
    )])  # fmt: skip
    (repo / "teams.json").write_text(json.dumps({"Acme/Security": ["dave", "@bob"]}), encoding="utf-8")
    assert findings("infra", "--teams", "teams.json") == (0, [])
    (repo / "teams.json").write_text(json.dumps({"security": ["bob"]}), encoding="utf-8")
    assert cli("scan", "infra", "--teams", "teams.json").stderr == (
        'nhi-guard: error: teams.json: key "security": must be a team as org/team\n'
    )


def test_codeowners_must_approve(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text("[approval]\ncodeowners = true\n", encoding="utf-8")
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    assert findings("infra")[1] == [(
        "NHI_APR_009", "aws_iam_role.etl",
        "identity aws_iam_role.etl: no CODEOWNERS file covers infra/main.tf, so bob cannot be shown to own it",
    )]  # fmt: skip
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text("* @acme/platform\n/infra/ @carol\n", encoding="utf-8")
    assert findings("infra")[1] == [(
        "NHI_APR_009", "aws_iam_role.etl",
        "identity aws_iam_role.etl: bob is not a code owner of infra/main.tf (owners: @carol, CODEOWNERS:2)",
    )]  # fmt: skip
    (repo / ".github" / "CODEOWNERS").write_text("/infra/ @carol @acme/data\n*.md @bob\n", encoding="utf-8")
    (repo / "teams.json").write_text(json.dumps({"acme/data": ["bob"]}), encoding="utf-8")
    assert findings("infra", "--teams", "teams.json") == (0, [])


def test_codeowners_patterns() -> None:
    rules = parse("# comment\n*.tf @a\n/infra/ @b\ndocs/* @c\n**/logs @d  # trailing\nmodules/ @e\n")
    def owners(path: str) -> list[str]:
        return [o for pattern, found, _ in rules if pattern.search(path) for o in found]
    assert owners("x/main.tf") == ["@a"]
    assert owners("infra/prod/main.tf") == ["@a", "@b"]
    assert owners("docs/a.md") == ["@c"] and owners("docs/x/a.md") == []
    assert owners("a/logs/x") == ["@d"] and owners("a/b/modules/m/main.tf") == ["@a", "@e"]


def test_provisioner_is_neither_approver_nor_requester(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text('[approval]\nprovisioner = ["deploy-bot"]\n', encoding="utf-8")
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    assert findings("infra", "--requester", "deploy-bot") == (1, [(
        "NHI_APR_010", "aws_iam_role.etl",
        "identity aws_iam_role.etl: its requester deploy-bot is the provisioner (deploy-bot) that applies it",
    )])  # fmt: skip


def test_config_rejects_a_bad_approval_table(repo: Path) -> None:
    (repo / ".nhi-guard.toml").write_text('[approval]\napprovers = [""]\n', encoding="utf-8")
    assert cli("scan", "infra").stderr.endswith(
        ".nhi-guard.toml: key 'approval.approvers': Value error, an empty name matches nobody; remove it\n"
    )


def test_report_cache_sees_a_changed_ledger(repo: Path) -> None:
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    cache = str(repo / "cache")
    assert findings("infra", "--cache-dir", cache) == (0, [])
    expired = LEDGER_TEXT.replace("2027-05-01", "2026-10-01").replace("on = 2026-11-01", "on = 2026-05-02")
    (repo / LEDGER_NAME).write_text(expired, encoding="utf-8")
    assert [f[0] for f in findings("infra", "--cache-dir", cache)[1]] == ["NHI_APR_006"]
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "COMMENTED", 1)]), encoding="utf-8")
    assert [f[0] for f in findings("infra", "--cache-dir", cache, "--reviews", "reviews.json")[1]] == [
        "NHI_APR_007",  # high first
        "NHI_APR_006",
    ]


def test_report_cache_sees_a_new_head(repo: Path) -> None:
    # once a cached report of the approved head was reused for the next head: the author pushed after
    # bob approved and the cached scan still passed
    (repo / LEDGER_NAME).write_text(LEDGER_TEXT, encoding="utf-8")
    (repo / "reviews.json").write_text(json.dumps([review(1, "bob", "APPROVED", 1)]), encoding="utf-8")
    args = ("infra", "--cache-dir", str(repo / "cache"), "--reviews", "reviews.json", "--requester", "alice")
    assert findings(*args, "--head-sha", "4f2a9c1e") == (0, [])
    assert findings(*args, "--head-sha", "9d8e7f60") == (
        1, [("NHI_APR_007", "aws_iam_role.etl", STALE.format(head="9d8e7f60"))]
    )
