"""What a scan is asked to do (:class:`ScanOptions`), what it returns (:class:`ScanResult`), and
how each option is read and checked before anything is scanned."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from scanner.model.report import Report
from scanner.model.severity import Severity
from scanner.pipeline.checking import Approvals
from scanner.pipeline.engine import Settings
from scanner.policy.baseline import Baseline, BaselineError, load_baseline
from scanner.policy.config import Config, ConfigError, Configs
from scanner.policy.ledger import Ledger, LedgerError, Ledgers
from scanner.policy.people import Teams, TeamsError, load_teams, teams_from
from scanner.policy.reviews import Reviews, ReviewsError, load_reviews, parse_reviews
from scanner.policy.selection import Selection, normalise
from scanner.util.paths import display_path

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"


class ScanError(Exception):
    """The scan could not start: a config, baseline, ledger or reviews file that cannot be used, or an
    approval that cannot be recorded. The message names the file (and the key, the address)."""


@dataclass(frozen=True)
class Source:
    """An input given as text rather than a path.

    ``name`` is how the report names it and tells its format by its ending (``main.tf``,
    ``plan.json``, ``answer.md``); a name without a known ending is sniffed from the content.
    It is scanned as a module of its own.
    """

    name: str
    text: str


@dataclass
class ScanOptions:
    #: a config file, a Config object, or None to discover the nearest config above each input
    #: (a :class:`~scanner.policy.config.Configs` shares one discovery between scans)
    config: Config | Configs | str | Path | None = None
    #: lowest severity that fails (exit code 1); "none" never fails; None: the config's fail_on
    fail_on: Severity | Literal["none"] | str | None = None
    #: a JSON report of an earlier scan: findings already in it are hidden
    baseline: str | Path | Baseline | None = None
    #: who asks for this change (a pull request's author); their own approval is self-approval
    requester: str | None = None
    #: plan JSON: also scan unchanged (no-op) resources
    include_unchanged: bool = False
    #: plan JSON: the root module directory, so plan findings point at their .tf lines
    source_dir: str | None = None
    #: reuse loaded modules and whole reports from this directory (None: no cache)
    cache_dir: str | None = None
    #: processes that load .tf modules (None: all cores for large trees)
    jobs: int | None = 1
    #: the date the scan is "as of" (expiry checks); None: $NHI_GUARD_TODAY, else today
    today: date | None = None
    #: rule IDs or prefixes to run, ruff-style (``["NHI_AWS", "NHI_SEC_001"]``); replaces the config's
    #: ``select``. None: the config's (scanner/policy/selection.py)
    select: Sequence[str] | None = None
    #: rule IDs or prefixes not to run; added to the config's ``disable``
    ignore: Sequence[str] = ()
    #: path -> text read instead of that file, or as an extra file when it does not exist: a ``.tf``
    #: overlay joins the module of its directory (a coding agent's proposed write, an unsaved buffer)
    overlays: Mapping[str, str] = field(default_factory=dict)
    #: a directory (or tree) holding no Terraform file is not an input error
    allow_empty: bool = False
    #: a directory input is the tree below it; False: that directory's own module only, not its
    #: subdirectories (pre-commit's ``--module-dirs``, the Claude Code hook)
    recursive: bool = True
    #: the approval ledger: a file, a Ledger, None for the nearest ``nhi-guard.approvals.toml``
    #: above each input (as for config files), or False for none (tags only)
    ledger: str | Path | Ledger | Literal[False] | None = None
    #: the pull request's reviews, as GitHub's ``GET /repos/{owner}/{repo}/pulls/{n}/reviews``
    #: returns them: a JSON file, the decoded array, or Reviews; None: approvers are not checked
    reviews: str | Path | Reviews | list[Any] | None = None
    #: the pull request's head commit: an approving review of another commit does not count (the
    #: change moved on after it), unless the config's ``accept_earlier_commits``; None: not checked
    head_sha: str | None = None
    #: members of the GitHub teams the config names (``org/team`` -> logins): a JSON file, a
    #: mapping or Teams; None: team members are unknown (a team rules nobody out)
    teams: str | Path | Teams | Mapping[str, Sequence[str]] | None = None
    #: record what was scanned, with sha256 digests, and what approvals were checked against, in
    #: ``report.provenance``: the subjects and materials of the evidence record (``--format evidence``)
    provenance: bool = False
    #: variables files (``--var-file``) and ``NAME=VALUE`` pairs (``--var``) for every .tf
    #: directory scanned on its own, after its terraform.tfvars and *.auto.tfvars
    var_files: list[str] = field(default_factory=list)
    var_args: list[str] = field(default_factory=list)


#: what :func:`scanner.api.scan` takes: paths (``str`` or ``pathlib.Path``) and :class:`Source` texts, or one of them
Inputs = Sequence["str | os.PathLike[str] | Source"] | str | os.PathLike[str] | Source


def inputs_of(inputs: Inputs) -> list[str | Source]:
    """``inputs`` as a list of path strings and :class:`Source` texts. One path or Source alone is
    one input (``scan("infra")`` once read the letters as paths), and a ``pathlib.Path`` is a path
    (``scan([Path("infra")])`` once scanned nothing and passed); anything else is a ``TypeError``."""
    if isinstance(inputs, (str, os.PathLike, Source)):
        inputs = [inputs]
    out: list[str | Source] = []
    for item in inputs:
        if isinstance(item, Source):
            out.append(item)
        elif isinstance(item, (str, os.PathLike)) and isinstance(os.fspath(item), str):
            out.append(os.fspath(item))
        else:
            raise TypeError(f"scan inputs: a {type(item).__name__} is neither a path (str, pathlib.Path) nor a Source")
    return out


@dataclass
class ScanResult:
    report: Report
    exit_code: int
    #: the config that decided ``fail_on``: the explicit one, else the one nearest the first input
    config: Config
    #: that config's file, when it came from one
    config_file: str | None = None
    #: the baseline that was applied, if any
    baseline: Baseline | None = None
    #: the findings before the baseline hid any (SARIF keeps every finding: code scanning tracks alerts)
    unfiltered: Report | None = field(default=None, repr=False)


def exit_code(report: Report, fail_on: Severity | None) -> int:
    """2 when an input could not be read, 1 for a finding at or above ``fail_on`` (None: never), else 0."""
    if report.errors:
        return EXIT_ERROR
    if fail_on is not None and any(Severity(f.severity).rank >= fail_on.rank for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def resolve_fail_on(value: Severity | str | None, config: Config) -> Severity | None:
    """The lowest failing severity: ``value`` ("none": never fail), else the config's ``fail_on``."""
    if value is None:
        return None if config.fail_on == "none" else Severity(config.fail_on)
    if value == "none":
        return None
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join([*(s.value for s in Severity), "none"])
        raise ScanError(f"fail_on: '{value}' is not one of {choices}") from None


def configs_of(options: ScanOptions) -> Configs:
    if isinstance(options.config, Configs):
        return options.config
    try:
        return Configs(options.config)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def baseline_of(value: str | Path | Baseline | None) -> Baseline | None:
    if value is None or isinstance(value, Baseline):
        return value
    try:
        return load_baseline(value)
    except BaselineError as exc:
        raise ScanError(str(exc)) from None


def settings_of(options: ScanOptions, configs: Configs) -> Settings:
    requester = options.requester.strip() if options.requester and options.requester.strip() else None
    _check_var_args(options.var_args)
    selection = selection_of(options)
    reviews = _reviews(options.reviews)
    if reviews is not None and options.head_sha is not None:
        reviews = replace(reviews, head=_head(options.head_sha))
    approvals = Approvals(_ledgers(options.ledger), reviews, _teams(options.teams))
    today = options.today or today_of()
    return Settings(configs=configs, today=today, requester=requester, selection=selection, approvals=approvals)


def _check_var_args(var_args: Sequence[str]) -> None:
    """Each ``NAME=VALUE``; the loaders would skip any other silently, as if it were not given."""
    from scanner.loaders.discover import split_var

    for n, arg in enumerate(var_args, 1):
        if split_var(arg) is None:  # the text is not shown: it may hold a secret
            raise ScanError(f"var_args (number {n}): expected NAME=VALUE, with NAME a Terraform variable name")


def _ledgers(value: str | Path | Ledger | Literal[False] | None) -> Ledgers | None:
    if value is False:
        return None
    try:
        return Ledgers(value, verify=_verify_ledger)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None


def _verify_ledger(ledger: Ledger) -> None:
    """Each entry's digest is the digest of the grants it lists: an entry edited by hand (a grant
    deleted from the list to hide it from review) is an error, not a silent approval."""
    from scanner.entitlements import digest_of

    for i, entry in enumerate(ledger.entries.values()):
        if entry.digest is not None and digest_of(entry.grants) != entry.digest:
            raise LedgerError(
                f"{display_path(str(ledger.path))}:{entry.line}: approval[{i}] ({entry.address}): key 'digest': "
                "does not match the "
                f"grants listed in the entry; it was edited by hand: run `nhi-guard approve` again"
            )


def _reviews(value: str | Path | Reviews | list[Any] | None) -> Reviews | None:
    if value is None or isinstance(value, Reviews):
        return value
    try:
        if isinstance(value, list):
            return parse_reviews(value, "reviews")
        return load_reviews(value)
    except ReviewsError as exc:
        raise ScanError(str(exc)) from None


def _head(sha: str) -> str:
    if not _SHA.fullmatch(sha.strip()):
        raise ScanError("head_sha: expected a commit's hexadecimal SHA (7 to 40 digits)")
    return sha.strip().lower()


_SHA = re.compile(r"[0-9a-fA-F]{7,40}")


def _teams(value: str | Path | Teams | Mapping[str, Sequence[str]] | None) -> Teams | None:
    if value is None or isinstance(value, Teams):
        return value
    try:
        if isinstance(value, Mapping):
            return teams_from(value, "teams")
        return load_teams(value)
    except TeamsError as exc:
        raise ScanError(str(exc)) from None


def selection_of(options: ScanOptions) -> Selection:
    """The options' ``select`` / ``ignore``; a selector that matches no rule is a :class:`ScanError`."""
    selection = Selection(
        select=normalise(options.select) if options.select is not None else None,
        ignore=normalise(options.ignore),
    )
    if selection.select is None and not selection.ignore:
        return selection
    from scanner.rules import all_rules

    unknown = selection.unknown(r.id for r in all_rules())
    if unknown:
        raise ScanError(
            f"select/ignore: {', '.join(unknown)} matches no rule; run `nhi-guard rules` for the IDs "
            "(a prefix such as NHI_AWS selects a family)"
        )
    return selection


def today_of() -> date:
    """``NHI_GUARD_TODAY`` (an ISO date) pins the date for reproducible runs; otherwise today."""
    pinned = os.environ.get("NHI_GUARD_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ScanError(f"NHI_GUARD_TODAY: '{pinned}' is not a date like 2026-12-31") from None
    return date.today()
