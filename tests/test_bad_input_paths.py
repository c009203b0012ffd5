"""Paths, stdin and config files that are not what they should be."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, TODAY
from test_bad_input_helpers import GOOD, GOOD_FINDING, IS_ROOT, assert_bad, assert_clean, at_root, scan

import scanner.loaders.inputs as inputs
from scanner.api import ScanOptions
from scanner.api import scan as engine_scan
from scanner.integrations.cli import main
from scanner.loaders.discover import OUTSIDE_LINK
from scanner.policy.config import load_config

__all__ = ["at_root"]
pytestmark = pytest.mark.usefixtures("at_root")

KEY = 'resource "aws_iam_access_key" "{name}" {{\n  user = "ci"\n}}\n'


def _run(*args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NHI_GUARD_DEBUG", "FORCE_COLOR")}
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        **kwargs,
    )
    assert "Traceback" not in proc.stderr
    return proc


# --------------------------------------------------------------------------- symbolic links


def test_symlink_loop_inside_a_directory(tmp_path: Path) -> None:
    d = tmp_path / "mod"
    (d / "sub").mkdir(parents=True)
    (d / "main.tf").write_text(KEY.format(name="k"))
    (d / "a.tf").symlink_to("b.tf")
    (d / "b.tf").symlink_to("a.tf")
    (d / "sub" / "up").symlink_to("..")  # a directory loop: never followed
    s = scan(tmp_path, str(d))
    assert_bad(
        s,
        {"file": f"{d}/a.tf", "line": None, "message": "symbolic link loop"},
        {"file": f"{d}/b.tf", "line": None, "message": "symbolic link loop"},
    )
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


OUTSIDE_SECRET = "Outside-Tree-S3cret-Value-91"
_OUTSIDE_TF = f"""
resource "aws_db_instance" "outside" {{
  identifier = "outside"
  password   = "{OUTSIDE_SECRET}"
}}
"""


@pytest.mark.parametrize("how", ["absolute", "relative", "through a directory link", "dangling"])
def test_a_tf_link_that_leaves_the_scanned_tree_is_skipped_and_listed(tmp_path: Path, how: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.tf").write_text(_OUTSIDE_TF, encoding="utf-8")
    tree = tmp_path / "repo" / "infra"
    tree.mkdir(parents=True)
    (tree / "main.tf").write_text(KEY.format(name="k"), encoding="utf-8")
    link = tree / "shared.tf"
    if how == "absolute":
        link.symlink_to(outside / "secret.tf")
    elif how == "relative":
        link.symlink_to(Path("..") / ".." / "elsewhere" / "secret.tf")
    elif how == "through a directory link":
        (tree / "lib").symlink_to(outside, target_is_directory=True)  # not followed as a directory
        link.symlink_to(Path("lib") / "secret.tf")
    else:
        link.symlink_to(outside / "gone.tf")
    s = scan(tmp_path, str(tree))
    assert_bad(s, {"file": str(link), "line": None, "message": OUTSIDE_LINK})
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()
    assert not [f for f in s.report["findings"] if "outside" in f["resource"]]
    assert OUTSIDE_SECRET not in json.dumps(s.report) and OUTSIDE_SECRET not in s.stderr
    assert s.report["summary"]["files_scanned"] == 2  # main.tf and the good fixture, never the target


def test_a_tf_link_to_a_file_inside_the_tree_is_read(tmp_path: Path) -> None:
    tree = tmp_path / "infra"
    (tree / "shared").mkdir(parents=True)
    (tree / "shared" / "key.tf").write_text(KEY.format(name="shared"), encoding="utf-8")
    (tree / "main.tf").symlink_to(Path("shared") / "key.tf")
    s = scan(tmp_path, str(tree), good=False)
    assert_clean(s)
    assert ("aws_iam_access_key.shared", "NHI_AWS_001") in s.findings()


_OWNER_TF = """
variable "owner" { type = string }
resource "aws_iam_user" "u" {
  name = "u"
  tags = { owner = var.owner }
}
"""


@pytest.mark.parametrize("given", ["directory", "file"])
def test_a_tfvars_link_that_leaves_the_scanned_tree_is_not_read(tmp_path: Path, given: str) -> None:
    """terraform.tfvars -> a file outside the tree was listed as "skipped, not read", and was read: its
    values reached the report (an owner in the inventory)."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "creds.tfvars").write_text(f'owner = "{OUTSIDE_SECRET}"\n', encoding="utf-8")
    tree = tmp_path / "repo" / "infra"
    tree.mkdir(parents=True)
    (tree / "main.tf").write_text(_OWNER_TF, encoding="utf-8")
    link = tree / "terraform.tfvars"
    link.symlink_to(outside / "creds.tfvars")
    s = scan(tmp_path, str(tree if given == "directory" else tree / "main.tf"))
    assert_bad(s, {"file": str(link), "line": None, "message": OUTSIDE_LINK})
    assert OUTSIDE_SECRET not in json.dumps(s.report) and OUTSIDE_SECRET not in s.stderr


def test_a_tfvars_link_inside_the_scanned_tree_is_read(tmp_path: Path) -> None:
    tree = tmp_path / "infra"
    (tree / "prod").mkdir(parents=True)
    (tree / "common.tfvars").write_text('owner = "team-payments"\n', encoding="utf-8")
    (tree / "prod" / "main.tf").write_text(_OWNER_TF, encoding="utf-8")
    (tree / "prod" / "terraform.tfvars").symlink_to(Path("..") / "common.tfvars")
    s = scan(tmp_path, str(tree), good=False)
    assert_clean(s)
    assert [i["owner"] for i in s.report["inventory"]] == ["team-payments"]


def test_symlink_loop_and_broken_link_given_as_paths(tmp_path: Path) -> None:
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "dangling.tf").symlink_to("nowhere.tf")
    s = scan(tmp_path, str(tmp_path / "self"), str(tmp_path / "dangling.tf"))
    assert_bad(
        s,
        {
            "file": str(tmp_path / "dangling.tf"),
            "line": None,
            "message": "broken symbolic link (its target does not exist)",
        },
        {"file": str(tmp_path / "self"), "line": None, "message": "symbolic link loop"},
    )


def test_symlink_loop_as_first_path_does_not_break_config_discovery(tmp_path: Path) -> None:
    (tmp_path / "self").symlink_to("self")
    proc = _run("scan", str(tmp_path / "self"), GOOD, "--format", "json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["errors"] == [
        {"file": str(tmp_path / "self"), "line": None, "message": "symbolic link loop"}
    ]


# --------------------------------------------------------------------------- unreadable


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "mod"
    d.mkdir()
    (d / "main.tf").write_text(KEY.format(name="k"))
    secret = d / "secret.tf"
    secret.write_text(KEY.format(name="hidden"))
    secret.chmod(0)
    if IS_ROOT:  # root reads anything: make open() refuse like the kernel would for anyone else
        real_open = builtins.open

        def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if str(file) == str(secret):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(inputs, "open", refusing_open, raising=False)
    try:
        s = scan(tmp_path, str(d))
    finally:
        secret.chmod(0o644)
    assert_bad(s, {"file": str(secret), "line": None, "message": "cannot read file: Permission denied"})
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()


def test_unreadable_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "mod"
    (d / "locked").mkdir(parents=True)
    (d / "main.tf").write_text(KEY.format(name="k"))
    (d / "locked" / "main.tf").write_text(KEY.format(name="hidden"))
    (d / "locked").chmod(0)
    if IS_ROOT:
        real_scandir = os.scandir

        def refusing_scandir(path: Any = ".") -> Any:
            if str(path) == str(d / "locked"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", refusing_scandir)
    try:
        s = scan(tmp_path, str(d))
    finally:
        (d / "locked").chmod(0o755)
    assert_bad(s, {"file": str(d / "locked"), "line": None, "message": "cannot read directory: Permission denied"})
    assert ("aws_iam_access_key.k", "NHI_AWS_001") in s.findings()
    assert ("aws_iam_access_key.hidden", "NHI_AWS_001") not in s.findings()


# --------------------------------------------------------------------------- missing, twice, special files


def test_nonexistent_paths(tmp_path: Path) -> None:
    s = scan(tmp_path, str(tmp_path / "nope"), str(tmp_path / "nope.json"))
    assert_bad(
        s,
        {"file": str(tmp_path / "nope"), "line": None, "message": "no such file or directory"},
        {"file": str(tmp_path / "nope.json"), "line": None, "message": "no such file or directory"},
    )


def test_a_path_given_twice_is_scanned_once(tmp_path: Path) -> None:
    d = tmp_path / "mod"
    d.mkdir()
    (d / "main.tf").write_text(KEY.format(name="k"))
    (tmp_path / "alias.tf").symlink_to(d / "main.tf")
    os.chdir(tmp_path)
    s = scan(tmp_path, "mod", "./mod", "mod/main.tf", str(d / "main.tf"), "mod/../mod/main.tf", good=False)
    assert_clean(s)
    assert s.report["summary"]["files_scanned"] == 1
    assert [f["resource"] for f in s.report["findings"]] == ["aws_iam_access_key.k"]


def test_fifo_in_a_directory_is_skipped_not_waited_on(tmp_path: Path) -> None:
    d = tmp_path / "mod"
    d.mkdir()
    (d / "main.tf").write_text(KEY.format(name="k"))
    os.mkfifo(d / "pipe.tf")
    (d / "zero.tf").symlink_to("/dev/zero")
    proc = _run("scan", str(d), "--format", "json", timeout=60)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2
    message = "not a regular file (a FIFO, socket or device); skipped"
    assert data["errors"] == [
        {"file": f"{d}/pipe.tf", "line": None, "message": message},
        {"file": f"{d}/zero.tf", "line": None, "message": OUTSIDE_LINK},  # /dev/zero is outside the tree
    ]
    assert [f["resource"] for f in data["findings"]] == ["aws_iam_access_key.k"]


def test_named_pipe_given_as_a_path_is_read(tmp_path: Path) -> None:
    """`nhi-guard scan <(terraform show -json plan.out)` passes a pipe."""
    plan = json.dumps(
        {
            "format_version": "1.2",
            "planned_values": {},
            "resource_changes": [
                {
                    "address": "aws_iam_access_key.k",
                    "mode": "managed",
                    "type": "aws_iam_access_key",
                    "name": "k",
                    "change": {"actions": ["create"], "before": None, "after": {"user": "u"}, "after_unknown": {}},
                }
            ],
        }
    )
    fifo = tmp_path / "plan-pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write(plan)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    proc = _run("scan", str(fifo), "--format", "json", timeout=60)
    writer.join(5)
    assert proc.returncode == 1, proc.stderr
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["NHI_AWS_001"]


def test_device_given_as_a_path_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    (tmp_path / "answer.md").symlink_to("/dev/zero")
    s = scan(tmp_path, str(tmp_path / "answer.md"))
    assert_bad(
        s,
        {
            "file": str(tmp_path / "answer.md"),
            "line": None,
            "message": "file is larger than the 10 MiB limit; not scanned",
        },
    )


def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    d = tmp_path / "mod"
    d.mkdir()
    raw = os.fsencode(d) + b"/caf\xe9.tf"
    with open(raw, "w", encoding="utf-8") as fh:
        fh.write(KEY.format(name="k"))
    for fmt in ("json", "text", "sarif", "markdown"):
        proc = _run("scan", str(d), "--format", fmt)
        assert proc.returncode == 1, proc.stderr
        assert ("caf%EF%BF%BD.tf" if fmt == "sarif" else "caf\ufffd.tf") in proc.stdout  # SARIF: a URI


# --------------------------------------------------------------------------- stdin


def test_empty_stdin(tmp_path: Path) -> None:
    for text in (b"", b"\n  \n"):
        s = scan(tmp_path, "-", stdin=text)
        assert_bad(s, {"file": "<stdin>", "line": None, "message": "no input: stdin was empty"})


def test_closed_stdin() -> None:
    proc = _run("scan", "-", GOOD, "--format", "json", preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["errors"] == [{"file": "<stdin>", "line": None, "message": "stdin is closed; nothing to scan"}]
    assert GOOD_FINDING in {(f["resource"], f["rule_id"]) for f in data["findings"]}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # the writer died halfway through a plan
        (
            '{\n  "format_version": "1.2",\n  "resource_changes": [\n    {"address": "aws_iam_a',
            4,
            "invalid JSON: Unterminated string starting at",
        ),
        (
            'resource "aws_iam_access_key" "k" {\n  user = "ci"\n}\nresource "aws_iam_user" "u" {\n  na',
            4,
            "HCL syntax error: the block at line 4 is not closed (input ends at line 5)",
        ),
    ],
)
def test_stdin_cut_off_early(tmp_path: Path, text: str, line: int, message: str) -> None:
    s = scan(tmp_path, "-", stdin=text.encode())
    assert_bad(s, {"file": "<stdin>", "line": line, "message": message})


def test_stdin_given_twice_is_read_once(tmp_path: Path) -> None:
    s = scan(tmp_path, "-", "-", stdin=KEY.format(name="k").encode(), good=False)
    assert_clean(s)
    assert [f["resource"] for f in s.report["findings"]] == ["aws_iam_access_key.k"]


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[keys]\nowner = "team"\n', "key 'keys.owner': Input should be a valid list"),
        (
            '[keys]\nownr = ["x"]\n',
            "unknown key 'keys.ownr'; allowed keys: approved_by, change_ticket, expires, owner, requested_by",
        ),
        (
            '[[waivers]]\nrule = "NHI_AWS_001"\nresource = "x"\nwhy = "y"\n',
            "unknown key 'waivers.0.why'; allowed keys: expires, owner, reason, resource, rule",
        ),
        ('max_credential_days = "90"\n', "key 'max_credential_days': Input should be a valid integer"),
        ("max_credential_days = true\n", "key 'max_credential_days': Input should be a valid integer"),
        ("max_credential_days = 0\n", "key 'max_credential_days': Input should be greater than or equal to 1"),
        ('disable = "NHI_AWS_001"\n', "key 'disable': Input should be a valid list"),
        (
            'severity = { NHI_AWS_001 = "urgent" }\n',
            "key 'severity.NHI_AWS_001': Input should be 'critical', 'high', 'medium' or 'low'",
        ),
        ('[aliases]\nalice = "a@example.com"\n', "key 'aliases.alice': Input should be a valid list"),
        (
            '[[waivers]]\nrule = "NHI_AWS_001"\nresource = "x"\nexpires = "2027-02-30"\n',
            "key 'waivers.0.expires': Input should be a valid date or datetime, day value is outside expected range",
        ),
        (
            '[[waivers]]\nrule = "NHI_AWS_001"\nresource = "x"\nexpires = 2027-13-01\n',
            "invalid TOML: Expected newline or end of document after a statement (at line 4, column 15) "
            "(key 'expires')",
        ),
        (
            'ticket_pattern = "(["\n',
            "key 'ticket_pattern': Value error, not a valid RE2 regular expression: missing ]: [",
        ),
        # RE2 refuses what it cannot match in linear time: backreferences and lookaround
        (
            "ticket_pattern = '^(CHG|SEC)-\\d+-\\1$'\n",
            "key 'ticket_pattern': Value error, not a valid RE2 regular expression: invalid escape sequence: \\1",
        ),
        (
            "ticket_pattern = '^(?!TMP)[A-Z]+-\\d+$'\n",
            "key 'ticket_pattern': Value error, not a valid RE2 regular expression: invalid perl operator: (?!",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    cfg = tmp_path / ".nhi-guard.toml"
    cfg.write_text(toml, encoding="utf-8")
    result = CliRunnerNoTraceback.invoke(["scan", GOOD, "--config", str(cfg)])
    assert result.exit_code == 2
    assert result.stderr == f"nhi-guard: error: {cfg}: {message}\n"


def test_config_with_bounded_repetition_is_accepted(tmp_path: Path) -> None:
    cfg = tmp_path / ".nhi-guard.toml"
    cfg.write_text('ticket_pattern = "^(?:[A-Z]+-){1,3}\\\\d+$"\n', encoding="utf-8")
    result = CliRunnerNoTraceback.invoke(["scan", GOOD, "--config", str(cfg)])
    assert result.exit_code == 1, result.stderr


_TICKETED_ROLE = """
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = "{}"
  tags = { owner = "team-a", approved_by = "bob", requested_by = "alice", change_ticket = "%s" }
}
"""


@pytest.mark.parametrize(
    ("pattern", "ticket", "message"),
    [
        # nested repetition: matched by RE2 like any other pattern
        ("^([A-Z]+-)*\\d+$", "OPS-SEC-1234", None),
        ("^([A-Z]+-)*\\d+$", "OPS-SEC", "change ticket of aws_iam_role.r does not match the required pattern "
                                           "`^([A-Z]+-)*\\d+$`"),
        # exponential for a backtracking engine: RE2 decides it like any other ticket
        ("^(a|aa)+$", "a" * 60 + "b", "change ticket of aws_iam_role.r does not match the required pattern "
                                       "`^(a|aa)+$`"),
        ("^(a|aa)+$", "a" * 60, None),
        # POSIX classes are RE2 syntax
        ("^[[:upper:]]+-[[:digit:]]+$", "CHG-12", None),
    ],
)
def test_ticket_pattern_is_matched_by_re2(tmp_path: Path, pattern: str, ticket: str, message: str | None) -> None:
    (tmp_path / "main.tf").write_text(_TICKETED_ROLE % ticket, encoding="utf-8")
    cfg = tmp_path / ".nhi-guard.toml"
    cfg.write_text(f"ticket_pattern = '{pattern}'\n", encoding="utf-8")
    report = engine_scan([str(tmp_path)], ScanOptions(config=load_config(cfg), today=TODAY)).report
    got = [f.message for f in report.findings if f.rule_id == "NHI_APR_002"]
    assert got == ([message] if message else [])


def test_a_redos_pattern_against_many_hostile_tickets_gives_plain_mismatches(tmp_path: Path) -> None:
    """The issue's attack: `^(a|aa)+$` and 300 identities whose tickets are 28 `a`s and a `!`.

    A backtracking engine needs seconds per ticket here (bench/hostile.py measures it); RE2 reports
    each one as a mismatch, like any other ticket that does not match."""
    blocks = [_TICKETED_ROLE.replace('"r"', f'"r{i}"').replace(".r ", f".r{i} ") % ("a" * 28 + "!") for i in range(300)]
    (tmp_path / "main.tf").write_text("".join(blocks), encoding="utf-8")
    cfg = tmp_path / ".nhi-guard.toml"
    cfg.write_text("ticket_pattern = '^(a|aa)+$'\n", encoding="utf-8")
    report = engine_scan([str(tmp_path)], ScanOptions(config=load_config(cfg), today=TODAY)).report
    got = sorted(f.message for f in report.findings if f.rule_id == "NHI_APR_002")
    assert got == sorted(
        f"change ticket of aws_iam_role.r{i} does not match the required pattern `^(a|aa)+$`" for i in range(300)
    )


class CliRunnerNoTraceback:
    @staticmethod
    def invoke(argv: list[str]) -> Any:
        from click.testing import CliRunner

        result = CliRunner().invoke(main, argv)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result


@pytest.mark.parametrize("given", [[Path(GOOD)], Path(GOOD), GOOD, [GOOD]], ids=["[Path]", "Path", "str", "[str]"])
def test_api_inputs_may_be_paths_or_one_path(given: Any) -> None:
    # scan([Path("infra")]) once scanned nothing and passed (exit 0, complete); scan("infra") read
    # each letter as a missing path
    result = engine_scan(given, ScanOptions(today=TODAY))
    assert result.report.errors == []
    assert GOOD_FINDING in {(f.resource, f.rule_id) for f in result.report.findings}
    assert result.exit_code == 1


def test_api_var_files_may_be_paths(tmp_path: Path) -> None:
    # ScanOptions(var_files=[Path(...)]) once ended in AttributeError
    (tmp_path / "main.tf").write_text(
        'variable "n" {}\nresource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = var.n }\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "ci.tfvars").write_text('n = "team-ci"\n', encoding="utf-8")
    files: list[Any] = [tmp_path / "ci.tfvars"]
    result = engine_scan([tmp_path], ScanOptions(today=TODAY, var_files=files))
    assert result.report.errors == []
    assert [(i.resource, i.owner) for i in result.report.inventory] == [("aws_iam_user.u", "team-ci")]


def test_api_inputs_of_another_type_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="a bytes is neither a path"):
        engine_scan([GOOD.encode()])
