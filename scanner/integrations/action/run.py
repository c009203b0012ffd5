"""``python -m scanner.integrations.action``: what the GitHub Action does after installing nhi-guard.

1. scan ``path`` (or ``plan``, with ``path`` as its source directory) with the config;
   on a pull request its author is the requester (``NHI_APR_003`` catches self-approval), its
   reviews are fetched so named approvers are checked against them (``NHI_APR_007``), and the
   members of teams the config allows to approve are looked up as the rules ask for them;
2. ``baseline`` / ``new-only``: hide findings the baseline (a report file, or a scan of the
   pull request's base commit checked out with ``git worktree``) already has;
3. write the JSON report (new findings), SARIF (every finding: code scanning tracks
   alerts itself) and the evidence record (an in-toto statement, with its predicate and
   subjects for actions/attest), annotations, the step outputs;
4. upsert the sticky pull request comment; a failure there (a fork's read-only token: 403)
   is reported in the log and the summary and never fails the step;
5. append the job summary; exit 0, 1 (findings at or above ``fail-on``) or 2 (input errors).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from scanner.api import ScanError, ScanOptions, resolve_fail_on, scan
from scanner.api import exit_code as api_exit_code
from scanner.integrations.action.commands import (
    annotation_commands,
    command,
    print_untrusted,
    workspace_path,
    write_outputs,
)
from scanner.integrations.action.context import ActionContext, InputError
from scanner.integrations.action.github_api import ApiError, GitHub
from scanner.integrations.action.summary import SummaryInput, comment_body, job_summary
from scanner.model.report import Report
from scanner.model.severity import Severity
from scanner.policy.baseline import Baseline, BaselineError, apply_baseline, load_baseline
from scanner.policy.config import ConfigError, ConfigFile, Configs
from scanner.policy.people import Teams, TeamsError
from scanner.policy.reviews import Reviews, ReviewsError, parse_reviews
from scanner.reporters import get_reporter
from scanner.reporters.markdown_tables import code, inline
from scanner.reporters.text import summary_line
from scanner.util import debug

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
GIT_TIMEOUT = 300
FORK_HINT = "the token is read-only (a pull request from a fork gets a read-only `GITHUB_TOKEN`)"


class _Log:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def warning(self, text: str) -> None:
        self.line(command("warning", text, title="nhi-guard"))

    def error(self, text: str) -> None:
        self.line(command("error", text, title="nhi-guard"))

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.line(command("group", title))
        try:
            yield
        finally:
            self.line(command("endgroup"))


def main(env: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    log = _Log(out or sys.stdout)
    try:
        ctx = ActionContext.from_env(os.environ if env is None else env)
    except InputError as exc:
        log.error(str(exc))
        return EXIT_ERROR
    debugging = ctx.env.get("RUNNER_DEBUG") == "1" or bool(ctx.env.get("NHI_GUARD_DEBUG"))
    try:
        # tracebacks (of loader and rule bugs too) can quote scanned text: printed with commands off
        with debug.turned_on(debugging, lambda text: print_untrusted(text, log.out)):
            return run(ctx, log)
    except (InputError, ConfigError, ScanError) as exc:
        log.error(str(exc))
    except Exception as exc:  # noqa: BLE001 - one line and exit 2: exit 1 means findings
        if debugging:
            print_untrusted(traceback.format_exc(), log.out)
        # the type only: an exception's text can quote the input, and the input can hold secrets
        log.error(f"internal error: {type(exc).__name__}; rerun with debug logging (RUNNER_DEBUG=1) for details")
    write_outputs(ctx.output, {"exit-code": EXIT_ERROR})
    return EXIT_ERROR


def run(ctx: ActionContext, log: _Log) -> int:
    pr = ctx.pull_request
    notes: list[str] = []
    source_dir = None
    if ctx.plan:
        inputs = ctx.plan
        if Path(ctx.paths[0]).is_dir():
            source_dir = ctx.paths[0]
        else:
            notes.append(f"`path` {code(ctx.paths[0])} is not a directory: plan findings point at the plan file.")
    else:
        inputs = ctx.paths
    if ctx.config and not Path(ctx.config).is_file():
        raise InputError(f"input 'config': {ctx.config}: config file not found")
    configs = Configs(ctx.config or None)  # shared with the base commit's scan: same policy for both
    requester = pr.author if pr else None
    reviews = _reviews(ctx, notes, log) if pr is not None and ctx.verify_approvers else None
    teams = _teams(ctx)
    options = ScanOptions(
        config=configs,
        fail_on=ctx.fail_on,
        source_dir=source_dir,
        requester=requester,
        reviews=reviews,
        # what the reviews must approve: a review of an earlier commit predates the change as it is
        head_sha=pr.head_sha if pr is not None and reviews is not None and _is_sha(pr.head_sha) else None,
        teams=teams,
        provenance=True,
    )
    with log.group(f"nhi-guard: scanning {' '.join(inputs)}"):
        head = scan(inputs, options)
        log.line(summary_line(head.report))
    for team, why in sorted((teams.unresolved if teams is not None else {}).items()):
        message = f"cannot read the members of @{team}: {why}"
        log.warning(message)
        notes.append(f"⚠️ Approvers from {code('@' + team)} cannot be verified: {inline(why)}")

    baseline, baseline_source = _baseline(ctx, inputs, replace(options, provenance=False), configs, notes, log)
    full, config = head.report, head.config
    report = apply_baseline(full, baseline.fingerprints) if baseline is not None else full
    fail_on = resolve_fail_on(ctx.fail_on, config)
    exit_code = api_exit_code(report, fail_on)

    Path(ctx.temp_dir).mkdir(parents=True, exist_ok=True)
    out_dir = Path(tempfile.mkdtemp(prefix="run-", dir=ctx.temp_dir))  # one per use of the action in a job
    report_file = out_dir / "report.json"
    report_file.write_text(get_reporter("json")(report, False), encoding="utf-8")
    sarif_file = Path(ctx.sarif_file) if ctx.sarif_file else out_dir / "results.sarif"
    sarif_file.parent.mkdir(parents=True, exist_ok=True)
    sarif_file.write_text(get_reporter("sarif")(full, False), encoding="utf-8")
    evidence = _evidence(ctx, full, out_dir)

    with log.group(f"nhi-guard: {report.summary.total} finding(s)"):
        print_untrusted(get_reporter("text")(report, False), log.out)
    commands, left_out = annotation_commands(report.findings, ctx.workspace)
    for line in commands:
        log.line(line)
    if left_out:
        notes.append(f"{left_out} finding(s) have no annotation (GitHub shows 10 per level); all are listed above.")

    summary = SummaryInput(
        report=report,
        fail_on=fail_on,
        pr_author=pr.author if pr else None,
        aliases=dict(config.aliases),
        base_inventory=baseline.inventory if baseline is not None else None,
        baseline_source=baseline_source,
        notes=notes,
        blob_url=f"{ctx.server_url}/{ctx.repository}/blob/{ctx.sha}" if ctx.repository and ctx.sha else None,
        # before the paths below change: the inventory's paths are relative to the working directory
        flagged={(posixpath.dirname(f.file), f.resource) for f in report.findings},
    )
    if ctx.workspace and os.path.abspath(ctx.workspace) != os.getcwd():
        for f in report.findings:  # links and annotations are relative to the repository root
            f.file = workspace_path(f.file, ctx.workspace)
    comment_url = _comment(ctx, summary, log)

    if ctx.step_summary:
        with Path(ctx.step_summary).open("a", encoding="utf-8") as fh:
            fh.write(job_summary(summary))
    by_severity = report.summary.by_severity
    write_outputs(
        ctx.output,
        {
            "findings": report.summary.total,
            **{sev.value: by_severity.get(sev.value, 0) for sev in Severity},
            "preexisting": report.summary.preexisting,
            "report-file": str(report_file),
            "sarif-file": str(sarif_file),
            "comment-url": comment_url or "",
            "exit-code": exit_code,
            **evidence,
        },
    )
    log.line(f"nhi-guard: {summary_line(report)}")
    if exit_code == EXIT_FINDINGS and fail_on is not None:
        log.line(f"nhi-guard: failing: findings at or above '{fail_on.value}' (input fail-on)")
    elif exit_code == EXIT_ERROR:
        log.error("some inputs could not be read or parsed; see the job summary")
    return exit_code


def _is_sha(text: str | None) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text or "") and 7 <= len(text or "") <= 40


def _reviews(ctx: ActionContext, notes: list[str], log: _Log) -> Reviews:
    """The pull request's reviews, read with the job's token (``pull-requests: read``). When they
    cannot be read, no named approver can be verified: every one of them is a finding that says why."""
    pr = ctx.pull_request
    assert pr is not None
    endpoint = f"GET /repos/{ctx.repository}/pulls/{pr.number}/reviews"
    problem = None
    if not ctx.token or not ctx.repository:
        problem = "no `github-token`"
    else:
        try:
            data = GitHub(ctx.api_url, ctx.token, ctx.repository).reviews(pr.number)
            return parse_reviews(data, endpoint)
        except ApiError as exc:
            problem = str(exc)
            if exc.status in (401, 403, 404):
                problem += " (the token needs `pull-requests: read`)"
        except ReviewsError as exc:
            problem = str(exc)
    log.warning(f"cannot read the pull request's reviews: {problem}; named approvers are not verified")
    notes.append(f"⚠️ The pull request's reviews could not be read ({inline(problem)}): approvers are not verified.")
    return Reviews(source=endpoint, unavailable=problem)


def _teams(ctx: ActionContext) -> Teams | None:
    """Team members, looked up (once each) when a rule asks: ``[approval] approvers`` and CODEOWNERS
    name teams. GITHUB_TOKEN cannot read an organization's teams: ``teams-token`` can be one that can."""
    token = ctx.teams_token or ctx.token
    if not token or not ctx.repository:
        return None
    api = GitHub(ctx.api_url, token, ctx.repository)

    def members(team: str) -> list[str]:
        org, _, slug = team.partition("/")
        try:
            return api.team_members(org, slug)
        except ApiError as exc:
            hint = ""
            if exc.status in (401, 403, 404):
                hint = (" (a token that can read the organization's members is needed: pass one as `teams-token`; "
                        "GITHUB_TOKEN cannot)")  # fmt: skip
            raise TeamsError(f"{exc}{hint}") from None

    return Teams(resolver=members)


def _evidence(ctx: ActionContext, report: Report, out_dir: Path) -> dict[str, object]:
    """The evidence record, its predicate and its subjects (``sha256  name`` lines, for actions/attest)."""
    from scanner.reporters.evidence import render, statement

    path = out_dir / "evidence.intoto.json"
    path.write_text(render(report), encoding="utf-8")
    doc = statement(report)
    predicate = out_dir / "evidence-predicate.json"
    predicate.write_text(json.dumps(doc["predicate"], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    subjects = out_dir / "evidence-subjects.sha256"
    lines = [f"{s['digest']['sha256']}  {_LINE_BREAK.sub('?', s['name'])}\n" for s in doc["subject"]]
    subjects.write_text("".join(lines), encoding="utf-8")
    artifact = ""
    if ctx.evidence_artifact:
        # unique within the workflow run: one job may use the action twice, a matrix runs it per job
        artifact = f"{ctx.evidence_artifact}-{ctx.env.get('GITHUB_JOB', 'job')}-{out_dir.name.removeprefix('run-')}"
    return {
        "evidence-file": str(path),
        "evidence-predicate-file": str(predicate),
        "evidence-subjects-file": str(subjects),
        "evidence-artifact": _artifact_name(artifact),
        "attest": "true" if ctx.attest else "false",
    }


_LINE_BREAK = re.compile(r"[\r\n]")


def _artifact_name(name: str) -> str:
    """upload-artifact refuses ``"`` ``:`` ``<`` ``>`` ``|`` ``*`` ``?`` ``\\`` ``/`` and CR/LF in a name."""
    return re.sub(r'["\:<>|*?\\/\r\n]', "-", name)


def _baseline(
    ctx: ActionContext, inputs: list[str], options: ScanOptions, configs: Configs, notes: list[str], log: _Log
) -> tuple[Baseline | None, str | None]:
    if ctx.baseline:
        try:
            return load_baseline(ctx.baseline), f"the baseline {code(ctx.baseline)}"
        except BaselineError as exc:
            raise InputError(f"input 'baseline': {exc}") from None
    if not ctx.new_only:
        return None, None
    pr = ctx.pull_request
    problem = None
    if pr is None:
        problem = "it needs a pull request event"
    elif ctx.plan:
        problem = "the base commit has no plan; pass the base's JSON report as `baseline`"
    elif not pr.base_sha:
        problem = "the event names no base commit"
    if problem is None and pr is not None and pr.base_sha:
        with log.group(f"nhi-guard: scanning the base commit {pr.base_sha[:12]}"):
            try:
                base = scan_base(pr.base_sha, inputs, options, configs, ctx.temp_dir)
            except BaseScanError as exc:
                problem = str(exc)
            else:
                log.line(f"{len(base.fingerprints)} finding(s) in the base commit")
                return base, f"the base commit {code(pr.base_sha[:12])}"
    message = f"new-only: every finding is reported, because {problem}"
    log.warning(message)
    notes.append(message.replace("new-only", "`new-only`", 1))
    return None, None


class BaseScanError(Exception):
    pass


class RebasedConfigs(Configs):
    """The head's configs, asked about a file of the base commit's worktree by its head path."""

    def __init__(self, head: Configs, worktree_cwd: str, head_cwd: str) -> None:
        super().__init__()
        self.head, self.worktree_cwd, self.head_cwd = head, worktree_cwd, head_cwd

    def for_input(self, path: str) -> ConfigFile:
        if path and not path.startswith("<"):
            rel = os.path.relpath(os.path.abspath(path), self.worktree_cwd)
            path = os.path.join(self.head_cwd, rel)
        return self.head.for_input(path)

    def by_path(self, path: str) -> ConfigFile:
        return self.head.by_path(path)

    def used(self) -> list[ConfigFile]:
        return self.head.used()


def _git(*args: str, cwd: str | None = None) -> str:
    git = shutil.which("git")
    if git is None:
        raise BaseScanError("git is not installed")
    try:
        proc = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaseScanError(f"git {args[0]} failed: {type(exc).__name__}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BaseScanError(f"git {args[0]} failed: {last}")
    return proc.stdout.strip()


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def scan_base(sha: str, inputs: list[str], options: ScanOptions, configs: Configs, temp_dir: str) -> Baseline:
    """Scan ``inputs`` as they are in commit ``sha``, from the same place in a worktree of it.

    Paths in a report are relative to the working directory, so the base is scanned from the
    worktree's copy of the working directory: fingerprints then match the head's. The base is
    judged by the head's configs (``configs``), each file by the config its head copy has.
    """
    prefix = _git("rev-parse", "--show-prefix")
    try:
        _git("cat-file", "-e", f"{sha}^{{commit}}")
    except BaseScanError:  # a shallow checkout (actions/checkout's default) lacks it
        _git("fetch", "--no-tags", "--quiet", "--depth=1", "origin", sha)
    relative: list[str] = []
    for p in inputs:
        try:
            rel = os.path.relpath(p) if os.path.isabs(p) else p
        except ValueError:  # Windows: another drive
            rel = os.pardir
        if rel == os.pardir or rel.startswith((os.pardir + os.sep, os.pardir + "/")):
            raise BaseScanError(f"{p} is outside the repository")
        relative.append(rel)
    Path(temp_dir).mkdir(parents=True, exist_ok=True)
    worktree = Path(temp_dir) / f"base-{sha[:12]}-{os.getpid()}"
    _git("worktree", "add", "--detach", "--quiet", str(worktree), sha)
    try:
        here = worktree / prefix
        if not here.is_dir():  # the working directory is new in this change
            return Baseline()
        head_cwd = os.getcwd()
        with _cwd(here):
            existing = [p for p in relative if os.path.exists(p)]
            if not existing:
                return Baseline()
            rebased = RebasedConfigs(configs, str(here), head_cwd)
            report = scan(existing, replace(options, config=rebased, fail_on="none")).report
        return Baseline({f.fingerprint for f in report.findings}, list(report.inventory))
    finally:
        try:
            _git("worktree", "remove", "--force", str(worktree))
        except BaseScanError:
            shutil.rmtree(worktree, ignore_errors=True)
            with contextlib.suppress(BaseScanError):
                _git("worktree", "prune")


def _comment(ctx: ActionContext, summary: SummaryInput, log: _Log) -> str | None:
    pr = ctx.pull_request
    if not ctx.comment:
        return None
    if pr is None:
        summary.notes.append("No pull request comment: this run is not for a pull request.")
        return None
    if not ctx.token or not ctx.repository:
        message = "cannot comment on the pull request: no `github-token`"
        log.warning(message)
        summary.notes.append(message[0].upper() + message[1:] + ".")
        return None
    body = comment_body(summary, ctx.run_url)
    try:
        result = GitHub(ctx.api_url, ctx.token, ctx.repository).upsert_comment(pr.number, body)
    except ApiError as exc:
        if exc.status == 403:
            message = (
                "cannot comment on the pull request: the token may not write to it (HTTP 403). A pull request "
                "from a fork gets a read-only GITHUB_TOKEN; the findings are in the job summary."
            )
            summary.notes.append(f"⚠️ Could not comment on the pull request: HTTP 403, {FORK_HINT}.")
        else:
            message = f"cannot comment on the pull request: {exc}"
            summary.notes.append(f"⚠️ Could not comment on the pull request: {code(str(exc))}")
        log.warning(message)
        return None
    log.line(f"nhi-guard: pull request comment {result.action}: {result.url or ''}".rstrip())
    summary.notes.append(f"Pull request comment {result.action}" + (f": {result.url}" if result.url else "."))
    return result.url
