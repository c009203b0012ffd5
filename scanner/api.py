"""nhi-guard's Python API: the one entry point every front end calls.

The CLI, the GitHub Action, the Checkov policy pack and the assistant integrations all go
through :func:`scan` (or, for an already loaded model, :func:`scan_documents`), so the same
inputs and config give the same findings, severities, waivers and exit code everywhere.

    from scanner.api import ScanOptions, Source, scan

    result = scan(["infra/"], ScanOptions(fail_on="high"))
    for finding in result.report.findings:
        print(finding.rule_id, finding.resource, finding.message)
    raise SystemExit(result.exit_code)

    # text that is not on disk: a chat answer, an editor buffer
    result = scan([Source("answer.md", text)])

It owns everything around the pipeline:

* **config discovery**: an explicit config (a file or a :class:`~scanner.policy.config.Config`)
  governs everything; otherwise each input file is governed by the nearest config file above it;
* **waivers**: inline comments and each config's ``[[waivers]]`` (applied in the pipeline);
* **secrets and redaction**: the report is redacted before it is returned;
* **cache**: ``cache_dir`` reuses loaded modules and whole reports;
* **baseline**: findings whose fingerprint is in an earlier JSON report are hidden;
* **requester**: who asks for the change (an approval by them is self-approval);
* **ledger**: the approval ledger (``nhi-guard.approvals.toml``, found like a config file, or
  given), checked when read; :func:`approve` writes it;
* **reviews** and **teams**: the pull request's reviews that named approvers are checked
  against, and the members of the teams the config allows to approve;
* **exit code**: 0, 1 (a finding at or above ``fail_on``) or 2 (an input could not be read).

Errors that stop a scan before it starts (a broken config, an unreadable baseline) raise
:class:`ScanError` with a one-line message naming the file; bad *inputs* never raise, they
are listed in ``report.errors`` and make the exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from scanner.model.report import ErrorEntry, Report
from scanner.model.resource import Document, LoadError
from scanner.model.severity import Severity
from scanner.pipeline.checking import Approvals
from scanner.pipeline.engine import Settings, evaluate
from scanner.pipeline.provenance import InputRef, ProvenanceRequest
from scanner.policy.baseline import Baseline, BaselineError, apply_baseline, load_baseline
from scanner.policy.config import Config, ConfigError, ConfigFile, Configs, ticket_matches
from scanner.policy.ledger import Ledger, LedgerEntry, LedgerError, Ledgers
from scanner.policy.people import Teams, TeamsError, load_teams, teams_from
from scanner.policy.reviews import Reviews, ReviewsError, load_reviews, parse_reviews
from scanner.policy.selection import Selection, normalise
from scanner.util.paths import display_path

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "ApproveResult",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "Source",
    "approve",
    "exit_code",
    "resolve_fail_on",
    "scan",
    "scan_documents",
    "selection_of",
]

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
    #: the approval ledger: a file, a Ledger, None for the nearest ``nhi-guard.approvals.toml``
    #: above each input (as for config files), or False for none (tags only)
    ledger: str | Path | Ledger | Literal[False] | None = None
    #: the pull request's reviews, as GitHub's ``GET /repos/{owner}/{repo}/pulls/{n}/reviews``
    #: returns them: a JSON file, the decoded array, or Reviews; None: approvers are not checked
    reviews: str | Path | Reviews | list[Any] | None = None
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
        return config.fail_on
    if value == "none":
        return None
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join([*(s.value for s in Severity), "none"])
        raise ScanError(f"fail_on: '{value}' is not one of {choices}") from None


def _configs(options: ScanOptions) -> Configs:
    if isinstance(options.config, Configs):
        return options.config
    try:
        return Configs(options.config)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def _top(configs: Configs, inputs: Sequence[str | Source]) -> ConfigFile:
    first = next((i for i in inputs if isinstance(i, str) and i != STDIN), "<input>")
    try:
        return configs.for_input(first)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None


def _baseline(value: str | Path | Baseline | None) -> Baseline | None:
    if value is None or isinstance(value, Baseline):
        return value
    try:
        return load_baseline(value)
    except BaselineError as exc:
        raise ScanError(str(exc)) from None


def _settings(options: ScanOptions, configs: Configs) -> Settings:
    requester = options.requester.strip() if options.requester and options.requester.strip() else None
    selection = selection_of(options)
    approvals = Approvals(_ledgers(options.ledger), _reviews(options.reviews), _teams(options.teams))
    return Settings(
        configs=configs, today=options.today or _today(), requester=requester, selection=selection, approvals=approvals
    )


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


def _teams(value: str | Path | Teams | Mapping[str, Sequence[str]] | None) -> Teams | None:
    if value is None or isinstance(value, Teams):
        return value
    try:
        if isinstance(value, Mapping):
            return teams_from(value, "teams")
        return load_teams(value)
    except TeamsError as exc:
        raise ScanError(str(exc)) from None


def _prime(settings: Settings, documents: list[tuple[str, Document]]) -> None:
    """Read the ledger of every scanned file before the rules run, so a malformed one stops the
    scan with its own message (a rule that met it would only report an internal error)."""
    ledgers = settings.approvals.ledgers
    if ledgers is None:
        return
    try:
        for file in sorted({res.file for _, doc in documents for res in doc.resources if res.file}):
            ledgers.for_file(file)
    except LedgerError as exc:
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


def _today() -> date:
    """``NHI_GUARD_TODAY`` (an ISO date) pins the date for reproducible runs; otherwise today."""
    pinned = os.environ.get("NHI_GUARD_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ScanError(f"NHI_GUARD_TODAY: '{pinned}' is not a date like 2026-12-31") from None
    return date.today()


def scan(inputs: Sequence[str | Source], options: ScanOptions | None = None) -> ScanResult:
    """Scan paths (``.tf`` directories or files, plan JSON, Markdown chat answers; ``-`` reads
    stdin) and :class:`Source` texts, and decide the exit code."""
    options = options or ScanOptions()
    configs = _configs(options)
    top = _top(configs, inputs)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = _baseline(options.baseline)
    settings = _settings(options, configs)
    try:
        report = _cached_report(list(inputs), options, settings)
    except ConfigError as exc:  # a per-directory config found during the scan
        raise ScanError(str(exc)) from None
    return _result(report, fail_on, top, baseline)


def scan_documents(
    documents: list[tuple[str, Document]],
    options: ScanOptions | None = None,
    secrets: set[str] | None = None,
    errors: list[LoadError] | None = None,
) -> ScanResult:
    """Scan documents that a front end loaded itself (the Checkov pack builds them from Checkov's
    graph): everything after loading is the same as :func:`scan`."""
    options = options or ScanOptions()
    configs = _configs(options)
    files = sorted({res.file for _, doc in documents for res in doc.resources if res.file})
    top = _top(configs, files)
    fail_on = resolve_fail_on(options.fail_on, top.config)
    baseline = _baseline(options.baseline)
    settings = _settings(options, configs)
    _prime(settings, documents)
    record = ProvenanceRequest([InputRef(f, path=f) for f in files]) if options.provenance else None
    try:
        report = evaluate(documents, settings, errors, len(files), secrets, record)
    except ConfigError as exc:
        raise ScanError(str(exc)) from None
    return _result(report, fail_on, top, baseline)


def _inputs(paths: list[str], texts: list[Source], stdin: str | None, options: ScanOptions) -> ProvenanceRequest:
    """The files (and texts) a scan reads, as the loaders read them (an overlay instead of its file);
    with ``source_dir`` the plan's ``.tf`` sources too."""
    from scanner.loaders.discover import walk_inputs
    from scanner.loaders.inputs import Overlay
    from scanner.pipeline.provenance import InputRef

    overlay = Overlay(options.overlays)

    def ref(path: str) -> InputRef:
        text = overlay.text(path)
        return InputRef(path, path=None if text is not None else path, text=text)

    refs = [InputRef(t.name, text=t.text) for t in texts]
    for raw in [*paths, *([options.source_dir] if options.source_dir else [])]:
        if raw == STDIN:
            if stdin is not None:
                refs.append(InputRef("<stdin>", text=stdin))
        elif Path(raw).is_dir():
            found = walk_inputs(Path(raw), [])
            refs += [ref(f) for f in [*found, *overlay.added(raw, found)]]
        elif Path(raw).is_file() or overlay.text(raw) is not None:
            refs.append(ref(raw))
    return ProvenanceRequest(refs)


def _result(report: Report, fail_on: Severity | None, top: ConfigFile, baseline: Baseline | None) -> ScanResult:
    unfiltered = report
    if baseline is not None:
        report = apply_baseline(report, baseline.fingerprints)
    return ScanResult(report, exit_code(report, fail_on), top.config, top.path, baseline, unfiltered)


def _cached_report(inputs: list[str | Source], options: ScanOptions, settings: Settings) -> Report:
    paths = [i for i in inputs if isinstance(i, str)]
    texts = [i for i in inputs if isinstance(i, Source)]
    if not options.cache_dir or texts or options.source_dir or options.overlays:  # what the cache key cannot cover
        return _load_and_evaluate(paths, texts, options, settings, None)[0]
    from scanner.loaders.module_cache import ModuleCache
    from scanner.pipeline import report_cache

    cache = ModuleCache(options.cache_dir)
    approvals = settings.approvals
    ledgers = approvals.ledgers
    shape = repr((
        options.include_unchanged,
        settings.today.isoformat(),
        settings.requester,
        settings.selection,
        options.allow_empty,
        options.provenance,
        options.var_files,
        options.var_args,
        approvals.reviews.sha256 if approvals.reviews is not None else None,
        approvals.reviews.unavailable if approvals.reviews is not None else None,
        sorted(approvals.teams.members.items()) if approvals.teams is not None else None,
        "no ledger" if ledgers is None else "ledgers",
    ))  # fmt: skip

    def ledger_of(file: str) -> str | None:
        """The ledger that governs an input: its content is part of the key."""
        found = ledgers.for_file(file) if ledgers is not None else None
        return str(found.path) if found is not None and found.path.is_file() else None

    try:
        key = report_cache.scan_key(paths, settings.configs, shape, cache, ledger_of, options.var_files)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None
    cached = report_cache.get(cache, key) if key else None
    if cached is not None:
        return cached
    report, depends = _load_and_evaluate(paths, texts, options, settings, cache)
    if key and report_cache.scan_key(paths, settings.configs, shape, cache, ledger_of, options.var_files) == key:
        report_cache.put(cache, key, report, depends)  # no input changed meanwhile
    return report


def _load_and_evaluate(
    paths: list[str], texts: list[Source], options: ScanOptions, settings: Settings, cache: object
) -> tuple[Report, dict[str, str]]:
    """The report, and what the loaders read besides the inputs (scanner/loaders/deps.py)."""
    from scanner.loaders.inputs import load_inputs, load_stdin  # here: a report-cache hit needs no parser

    stdin_errors: list[LoadError] = []
    stdin_text = load_stdin(stdin_errors) if STDIN in paths else None
    loaded = load_inputs(
        paths,
        stdin_text,
        options.include_unchanged,
        cache,  # type: ignore[arg-type]
        options.jobs,
        texts=[(t.name, t.text) for t in texts],
        overlays=options.overlays,
        allow_empty=options.allow_empty,
        var_files=options.var_files,
        var_args=options.var_args,
    )
    if options.source_dir:
        from scanner.loaders.source_map import attach_sources

        attach_sources(loaded.documents, options.source_dir)
    _prime(settings, loaded.documents)
    record = _inputs(paths, texts, stdin_text, options) if options.provenance else None
    report = evaluate(loaded.documents, settings, loaded.errors, loaded.files, record=record)
    if stdin_errors:
        report.errors = [ErrorEntry(file=e.file, line=e.line, message=e.message) for e in stdin_errors] + report.errors
        report.summary.incomplete = True
    depends = {k: v for _, doc in loaded.documents for k, v in doc.depends.items()}
    return report, depends


# --- the approval ledger -----------------------------------------------------------------------


@dataclass
class ApproveResult:
    """What :func:`approve` recorded."""

    ledger: Ledger
    #: the entries written, in the order the addresses were given
    entries: list[LedgerEntry]
    #: True when the ledger file did not exist before
    created: bool = False


def approve(
    inputs: Sequence[str | Source],
    addresses: Sequence[str],
    approver: str,
    ticket: str,
    *,
    requester: str | None = None,
    expires: date | None = None,
    options: ScanOptions | None = None,
) -> ApproveResult:
    """Record approvals of identities in the ledger, each bound to its grants as scanned now.

    ``inputs`` are scanned as :func:`scan` does (unchanged plan objects included); each address
    must name one identity, credential or secret in them. The ledger is ``options.ledger``, else
    the nearest ``nhi-guard.approvals.toml`` above the first input, else a new one next to the
    config file that governs it, else at the root of its git repository, else in its directory.
    Nothing is written unless every address, the approver, the ticket and the date are valid.
    """
    from scanner.model.report import UNKNOWN_VALUE
    from scanner.policy.people import placeholder_reason, same_person

    options = options or ScanOptions()
    today = options.today or _today()
    approver, ticket = approver.strip(), ticket.strip()
    requester = requester.strip() if requester and requester.strip() else None
    if not addresses:
        raise ScanError("approve: name at least one identity address")
    if not approver or not ticket:
        raise ScanError("approve: --by (the approver) and --ticket (the change ticket) must not be empty")
    reason = placeholder_reason(approver)
    if reason:
        raise ScanError(f"approve: --by '{approver}': {reason}; name the person who approved the change")
    if expires is not None and expires <= today:
        raise ScanError(f"approve: --expires {expires.isoformat()} is not after today ({today.isoformat()})")
    result = scan(inputs, replace(options, ledger=False, reviews=None, include_unchanged=True, baseline=None,
                                  cache_dir=None, fail_on="none"))  # fmt: skip
    report = result.report
    if report.errors:
        first = report.errors[0]
        where = f"{first.file}:{first.line}" if first.line else first.file
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise ScanError(f"approve: cannot bind approvals to grants read from inputs with errors: {where}: "
                        f"{first.message}{more}")  # fmt: skip
    configs = _configs(options)
    aliases = result.config.aliases
    if requester and same_person(approver, requester, aliases):
        raise ScanError(f"approve: the approver ({approver}) is the requester ({requester}); someone else must approve")
    for name in result.config.approval.provisioner:
        if same_person(approver, name, aliases) or (requester and same_person(requester, name, aliases)):
            raise ScanError(f"approve: {name} is the provisioner (config [approval] provisioner): it may not "
                            f"approve or request the change")  # fmt: skip
    ledger = _approval_ledger(options, inputs, configs)
    created = not ledger.path.exists()
    governed = [i for i in report.inventory if i.kind != "grant"]
    entries: list[LedgerEntry] = []
    for address in dict.fromkeys(a.strip() for a in addresses):
        matches = [i for i in governed if i.resource == address]
        if not matches:
            raise ScanError(_unknown_address(address, inputs, report.inventory))
        modules = sorted({ledger.module_of(i.file) for i in matches})
        if len(modules) > 1:
            raise ScanError(f"approve: {address} is in several modules ({', '.join(modules)}); "
                            "approve it with the one module directory as PATH")  # fmt: skip
        item = matches[0]
        pattern = configs.for_input(item.file).config.ticket_pattern
        if pattern and not ticket_matches(pattern, ticket):
            raise ScanError(f"approve: --ticket '{ticket}' does not match the config's ticket_pattern `{pattern}`")
        entries.append(
            LedgerEntry(
                module=modules[0],
                address=address,
                type=item.resource_type,
                approved_by=approver,
                ticket=ticket,
                requested_by=requester
                or (item.requested_by if item.requested_by not in (None, UNKNOWN_VALUE) else None),
                approved_on=today,
                expires=expires,
                digest=item.grants_digest,
                grants=tuple(item.grants or ()),
            )
        )
    for entry in entries:
        ledger.put(entry)
    try:
        ledger.write()
    except OSError as exc:
        raise ScanError(f"approve: cannot write {ledger.path}: {exc.strerror or exc}") from None
    return ApproveResult(ledger, entries, created)


def _approval_ledger(options: ScanOptions, inputs: Sequence[str | Source], configs: Configs) -> Ledger:
    from scanner.policy.ledger import LEDGER_NAME, discover_ledger, load_ledger

    if isinstance(options.ledger, Ledger):
        return options.ledger
    try:
        if options.ledger:
            return load_ledger(options.ledger)
        first = next((i for i in inputs if isinstance(i, str) and i != STDIN), None)
        start = Path(first) if first else Path.cwd()
        found = discover_ledger(start)
        if found is not None:
            return load_ledger(found)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None
    config_file = configs.for_input(str(start)).path
    folder = Path(config_file).parent if config_file else _repository_root(start)
    return Ledger(folder / LEDGER_NAME)


def _repository_root(start: Path) -> Path:
    here = start.resolve()
    here = here if here.is_dir() else here.parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _unknown_address(address: str, inputs: Sequence[str | Source], inventory: list[Any]) -> str:
    import difflib

    where = ", ".join(i if isinstance(i, str) else i.name for i in inputs)
    grant = next((i for i in inventory if i.resource == address), None)
    if grant is not None:
        return (f"approve: {address} in {where} is a grant, not an identity: approve the identity it grants to "
                "(its grants are part of that identity's approval)")  # fmt: skip
    known = sorted({i.resource for i in inventory if i.kind != "grant"})
    close = difflib.get_close_matches(address, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    listed = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    return (f"approve: no identity, credential or secret {address} in {where}{hint} "
            f"({'there are: ' + listed if known else 'it holds none'})")  # fmt: skip
