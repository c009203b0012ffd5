"""Command line: ``nhi-guard scan | approve | rules | explain``.

Exit codes: 0 no finding at or above ``--fail-on``; 1 such findings; 2 usage or config errors,
or any input that could not be read (the report is still produced). No traceback escapes
unless ``--debug`` (or ``NHI_GUARD_DEBUG=1``) asks for one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from scanner import __version__
from scanner.model.severity import Severity
from scanner.reporters import FORMATS

SEVERITIES = [s.value for s in Severity]
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_DEBUG_KEY = "nhi_guard.debug"


def _fail(message: str) -> NoReturn:
    with contextlib.suppress(OSError, ValueError):  # a stderr that is full or closed: the exit code says it
        click.echo(f"nhi-guard: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _OutputError(Exception):
    """stdout does not take the report: closed, full (``> /dev/full``), or an I/O error."""


def _out(text: str = "", **kwargs: Any) -> None:
    """``click.echo`` to stdout, where a failure to write is an :class:`_OutputError`."""
    if sys.stdout is None:  # descriptor 1 was closed when nhi-guard started (`>&-`)
        raise _OutputError("stdout is closed")
    try:
        click.echo(text, **kwargs)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(exc.strerror or type(exc).__name__) from None
    except ValueError:  # "I/O operation on closed file"
        raise _OutputError("stdout is closed") from None


def _flush_stdout() -> None:
    """Write what is still buffered now, while a failure can still be reported (at exit it cannot)."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(exc.strerror or type(exc).__name__) from None
    except ValueError:
        raise _OutputError("stdout is closed") from None


def _drop_stdout() -> None:
    """Point descriptor 1 at /dev/null, so Python's own flush at exit has nothing to fail on."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _output_failed(exc: _OutputError) -> NoReturn:
    _drop_stdout()
    _fail(f"cannot write to stdout: {exc}")


class _Group(click.Group):
    """Turns any unexpected exception into one line on stderr and exit code 2.

    Output failures are not internal errors: a reader that goes away (``nhi-guard scan . | head``)
    ends the scan quietly, as Unix tools do, and a stdout that is closed or full gives one line
    saying so. Both exit with 2: the report was not written whole.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return super().main(*args, **kwargs)
            finally:  # `--version`, `rules` and the report alike
                _flush_stdout()
        except BrokenPipeError:
            _drop_stdout()
            sys.exit(EXIT_ERROR)
        except _OutputError as exc:
            _output_failed(exc)
        except OSError as exc:  # click's own output before any command runs: `--help > /dev/full`
            _output_failed(_OutputError(exc.strerror or type(exc).__name__))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            _drop_stdout()
            sys.exit(EXIT_ERROR)
        except _OutputError as exc:
            _output_failed(exc)
        except Exception as exc:  # noqa: BLE001 - one line and exit 2, never a bare traceback
            from scanner.util import debug
            from scanner.util.deps import missing_package

            missing = missing_package(exc)
            if missing:  # nhi-guard installed without its dependencies (--no-deps, Checkov's environment)
                _fail(missing)
            with debug.turned_on(bool(ctx.meta.get(_DEBUG_KEY))):
                debug.internal_error(exc, f"in `{ctx.invoked_subcommand or ctx.info_name}`")
            # The type only: an exception's text can quote the input, and the input can hold secrets.
            with contextlib.suppress(OSError, ValueError):
                click.echo(f"nhi-guard: internal error: {type(exc).__name__}; rerun with --debug for details", err=True)
            sys.exit(EXIT_ERROR)


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``, written like the report, so a full or closed stdout is reported, not ignored."""
    if value and not ctx.resilient_parsing:
        _out(f"nhi-guard, version {__version__}")
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")  # fmt: skip
def main() -> None:
    """Find non-human identities without expiry, ownership, least privilege or approval."""


def _one_format(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> str:
    """The --format; given twice it would quietly write only the last report."""
    if len(values) > 1:
        raise click.BadParameter(
            f"given {len(values)} times ({', '.join(values)}); one report goes to stdout (or -o FILE), each "
            f"other with -o FORMAT=FILE, e.g. --format {values[0]} -o {values[1]}=report.{values[1]}",
            ctx=ctx, param=param,
        )  # fmt: skip
    return values[0] if values else "text"


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), multiple=True, callback=_one_format,
              help="the report on stdout (or -o FILE)  [default: text]")  # fmt: skip
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    metavar="[FORMAT=]FILE",
    help="write the --format report to FILE instead of stdout; FORMAT=FILE writes one more report in "
    "FORMAT (repeatable: -o sarif=nhi.sarif -o junit=nhi.xml)",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="config file (else discovered)")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    help="lowest severity that fails; none: report, never fail (default: config, low)",
)
@click.option(
    "--select",
    "select",
    multiple=True,
    metavar="RULES",
    help="run only these rule IDs or prefixes, comma-separated (NHI_AWS,NHI_SEC_001); replaces the config's select",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="RULES",
    help="do not run these rule IDs or prefixes, comma-separated; added to the config's disable",
)
@click.option(
    "--allow-empty", is_flag=True, help="a directory or tree without Terraform files is not an error (monorepo jobs)"
)
@click.option(
    "--module-dirs",
    is_flag=True,
    help="a .tf or .tf.json file given stands for its directory, scanned as one module, without its "
    "subdirectories (pre-commit)",
)
@click.option("--include-unchanged", is_flag=True, help="plan JSON: also scan no-op resources")
@click.option("--debug", "debug_flag", is_flag=True, help="show the traceback of every internal error")
@click.option(
    "--cache",
    "use_cache",
    is_flag=True,
    help="reuse parsed .tf modules, and the whole report when no input changed "
    "(in $NHI_GUARD_CACHE_DIR, else ~/.cache/nhi-guard)",
)
@click.option("--cache-dir", type=click.Path(file_okay=False), help="like --cache, in this directory")
@click.option(
    "--jobs", type=click.IntRange(min=1), help="processes that parse .tf files (default: all cores for large trees)"
)
@click.option(
    "--source-dir",
    type=click.Path(exists=True, file_okay=False),
    help="plan JSON: the Terraform root module directory; plan findings point at its .tf lines",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False),
    help="JSON report of an earlier scan: report only findings that are not in it",
)
@click.option(
    "--requester",
    envvar="NHI_GUARD_REQUESTER",
    help="who asks for this change (e.g. the pull request author); approving it oneself is a finding",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="variables file (.tfvars or .tfvars.json) for the scanned root modules; repeatable",
)
@click.option(
    "--var",
    "var_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="input variable for the scanned root modules, as terraform -var; repeatable",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False),
    help="approval ledger (default: the nearest nhi-guard.approvals.toml above each input)",
)
@click.option("--no-ledger", is_flag=True, help="ignore approval ledgers: approvals come from tags only")
@click.option(
    "--reviews",
    "reviews_path",
    type=click.Path(dir_okay=False),
    help="the pull request's reviews (GitHub's GET /repos/{owner}/{repo}/pulls/{n}/reviews JSON): "
    "named approvers must have approved",
)
@click.option(
    "--head-sha",
    "head_sha",
    metavar="SHA",
    help="the pull request's head commit: an approving review of another commit does not count "
    "(the change moved on after it); needs --reviews",
)
@click.option(
    "--teams",
    "teams_path",
    type=click.Path(dir_okay=False),
    help='members of the teams the config allows to approve, as JSON: {"org/team": ["login", ...]}',
)
@click.pass_context
def scan(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str,
    outputs: tuple[str, ...],
    config_path: str | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    allow_empty: bool,
    module_dirs: bool,
    include_unchanged: bool,
    debug_flag: bool,
    use_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    source_dir: str | None,
    baseline_path: str | None,
    requester: str | None,
    var_files: tuple[str, ...],
    var_args: tuple[str, ...],
    ledger_path: str | None,
    no_ledger: bool,
    reviews_path: str | None,
    head_sha: str | None,
    teams_path: str | None,
) -> None:
    """Scan .tf directories, plan JSON files, Markdown chat answers, or - for stdin."""
    from scanner.api import ScanError, ScanOptions
    from scanner.api import scan as run_scan
    from scanner.reporters import get_chunked_reporter
    from scanner.reporters.text import should_color, summary_line
    from scanner.util import debug, progress

    ctx.find_root().meta[_DEBUG_KEY] = debug_flag
    from scanner.loaders.discover import split_var

    for n, arg in enumerate(var_args, 1):
        if split_var(arg) is None:  # the text is not shown: it may hold a secret
            _fail(f"--var (number {n}): expected NAME=VALUE, with NAME a Terraform variable name")
    output, extra = _outputs(outputs)
    if module_dirs:
        paths = _module_dirs(paths)
    if use_cache and not cache_dir:
        from scanner.loaders.module_cache import default_dir

        cache_dir = str(default_dir())
    if not cache_dir and os.environ.get("NHI_GUARD_CACHE_DIR"):
        cache_dir = os.environ["NHI_GUARD_CACHE_DIR"]
    options = ScanOptions(
        config=config_path,
        fail_on=fail_on,
        baseline=baseline_path,
        requester=requester,
        include_unchanged=include_unchanged,
        source_dir=source_dir,
        cache_dir=cache_dir,
        jobs=jobs,
        select=select or None,
        ignore=ignore,
        allow_empty=allow_empty,
        recursive=not module_dirs,
        var_files=list(var_files),
        var_args=list(var_args),
        provenance="evidence" in (fmt, *(f for f, _ in extra)),
        ledger=False if no_ledger else ledger_path,
        reviews=reviews_path,
        head_sha=head_sha,
        teams=teams_path,
    )
    if no_ledger and ledger_path:
        _fail("--ledger and --no-ledger contradict each other")
    if head_sha and not reviews_path:
        _fail("--head-sha needs --reviews: it says which commit the reviews must approve")
    # an exception here is reported by _Group.invoke as one line (with its traceback under --debug)
    try:
        with progress.shown(sys.stderr), debug.turned_on(debug_flag):
            result = run_scan(list(paths), options)
    except ScanError as exc:
        _fail(str(exc))
    report = result.report
    render = get_chunked_reporter(fmt)
    for extra_fmt, path in [*((fmt, output) for output in [output] if output), *extra]:
        try:
            _write_whole(path, _pieces(get_chunked_reporter(extra_fmt)(report, False)))
        except OSError as exc:
            _fail(f"cannot write {path}: {exc.strerror or exc}")
        click.echo(f"nhi-guard: wrote {extra_fmt} report to {path}: {summary_line(report)}", err=True)
    if not output:
        color = fmt == "text" and should_color(sys.stdout)
        for chunk in _pieces(render(report, color)):
            _out(chunk, nl=False, color=color)
    sys.exit(result.exit_code)


@main.command()
@click.argument("path")
@click.argument("addresses", nargs=-1, required=True)
@click.option("--by", "approver", required=True, help="who approved (a login or name; not a placeholder)")
@click.option("--ticket", required=True, help="the change ticket the approval was given under")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), help="the approval ends on this date")
@click.option("--requester", help="who asked for the change (default: its requested_by tag)")
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False),
    help="the ledger to write (default: the nearest nhi-guard.approvals.toml above PATH, else a new one next "
    "to the config file, else at the repository root)",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="config file (else discovered)")
@click.option("--source-dir", type=click.Path(exists=True, file_okay=False), help="plan JSON: the root module")
def approve(
    path: str,
    addresses: tuple[str, ...],
    approver: str,
    ticket: str,
    expires: Any,
    requester: str | None,
    ledger_path: str | None,
    config_path: str | None,
    source_dir: str | None,
) -> None:
    """Record that ADDRESS... in PATH were approved, bound to the grants they have now.

    PATH is scanned as `nhi-guard scan` scans it. Each entry of the ledger holds the approver,
    the ticket, the requester, the date, the optional expiry and the identity's grants with
    their digest; `nhi-guard scan` accepts the approval while the grants stay the same.
    """
    from scanner.api import ScanError, ScanOptions
    from scanner.api import approve as run_approve

    options = ScanOptions(config=config_path, ledger=ledger_path, source_dir=source_dir)
    try:
        result = run_approve(
            [path], list(addresses), approver, ticket, requester=requester,
            expires=expires.date() if expires else None, options=options,
        )  # fmt: skip
    except ScanError as exc:
        _fail(str(exc))
    from scanner.pipeline.findings import display_path

    for entry in result.entries:
        grants = f"{len(entry.grants)} grant(s), {entry.digest[:19]}" if entry.digest else "no grants of its own"
        extra = f", requested by {entry.requested_by}" if entry.requested_by else ""
        extra += f", until {entry.expires.isoformat()}" if entry.expires else ""
        click.echo(f"approved {entry.address} in {entry.module}: {grants}; by {entry.approved_by}"
                   f" under {entry.ticket}{extra}")  # fmt: skip
    verb = "created" if result.created else "updated"
    count = len(result.ledger.entries)
    entries = f"{count} entr{'y' if count == 1 else 'ies'}"
    click.echo(f"nhi-guard: {verb} {display_path(str(result.ledger.path))} ({entries})", err=True)


def _module_dirs(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Each Terraform file's directory instead of the file (once, in order); other paths as given.

    pre-commit passes the changed files; a module is every file of its directory, and a finding
    can depend on a file that did not change (the user an access key belongs to). Its
    subdirectories are other modules (scanned with ``recursive=False``): a change to the root
    module's file must not report every module of the repository."""
    out: dict[str, None] = {}
    for p in paths:
        out[(os.path.dirname(p) or ".") if p.lower().endswith((".tf", ".tf.json")) else p] = None
    return tuple(out)


def _outputs(values: tuple[str, ...]) -> tuple[str | None, list[tuple[str, str]]]:
    """``-o FILE`` (the --format report, at most once) and ``-o FORMAT=FILE`` (more reports).

    A value whose part before ``=`` is a word but no format is a usage error, not a file name, so
    that a typo (``-o sarf=x.sarif``) does not quietly write the wrong report; ``-o ./a=b`` names
    such a file.
    """
    plain: list[str] = []
    extra: list[tuple[str, str]] = []
    for value in values:
        name, sep, path = value.partition("=")
        if sep and name in FORMATS and path:
            extra.append((name, path))
        elif sep and name in FORMATS:
            raise click.BadParameter(f"-o {value}: no file name after '='", param_hint="'--output'")
        elif sep and not name:
            raise click.BadParameter(
                f"-o {value}: no format before '='; for a file of that name write ./{value}", param_hint="'--output'"
            )
        elif sep and name.isidentifier():
            raise click.BadParameter(
                f"'{name}' is not a format ({', '.join(FORMATS)}); for a file of that name write ./{value}",
                param_hint="'--output'",
            )
        else:
            plain.append(value)
    if len(plain) > 1:
        raise click.BadParameter(
            "give one FILE for the --format report; name the format of the others: -o sarif=FILE",
            param_hint="'--output'",
        )
    return (plain[0] if plain else None), extra


def _write_whole(path: str, pieces: Iterable[str]) -> None:
    """Write the report so that an error part-way never replaces a good one.

    A regular file (or a new one) is written next to itself and renamed over, keeping its mode;
    a symbolic link is followed to its file. Anything else (a pipe, ``/dev/stdout``) is written
    to as it is, as before.
    """
    import stat
    import tempfile

    real = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with open(path, "w", encoding="utf-8") as fh:
            for piece in pieces:
                fh.write(piece)
        return
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for piece in pieces:
                fh.write(piece)
        if existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # as open() would have made it, not mkstemp's 0600
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _pieces(chunks: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """The report in pieces of about ``size``: a large one written whole is copied again by click's
    ANSI stripping and by encoding (38 MB each for the JSON report of a 50,000-change plan)."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        for start in range(0, len(chunk), size):
            piece = chunk[start : start + size]
            pending.append(piece)
            length += len(piece)
            if length >= size:
                yield "".join(pending)
                pending, length = [], 0
    if pending:
        yield "".join(pending)


def _catalogue() -> tuple[Any, ...]:
    from scanner.rules import all_rules

    try:
        return tuple(all_rules())
    except (ImportError, ValueError) as exc:  # a broken rule module, a bad or duplicate rule ID
        _fail(f"cannot load the rule catalogue: {exc}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules(fmt: str) -> None:
    """List the rule catalogue."""
    catalogue = _catalogue()
    if fmt == "json":
        from scanner.rules.catalogue_docs import rule_summary

        _out(json.dumps([rule_summary(r) for r in catalogue], indent=2))
        return
    _out(f"{'ID':12} {'CATEGORY':16} {'SEVERITY':9} TITLE")
    for r in catalogue:
        _out(f"{r.id:12} {r.category!s:16} {r.severity!s:9} {r.title}".rstrip())


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's rationale, example and remediation."""
    _catalogue()
    from scanner.rules import get_rule

    rule = get_rule(rule_id)
    if rule is None:
        _fail(f"unknown rule '{rule_id}'; run `nhi-guard rules` for the list")
    _out(f"{rule.id}: {rule.title}\ncategory: {rule.category}  severity: {rule.severity}\n")
    _out(rule.doc())
    _out(f"\nFix: {rule.fix}\nDocs: {rule.help_uri()}")


@main.command("checkov-dir")
def checkov_dir() -> None:
    """Print the Checkov policy pack directory: checkov --external-checks-dir "$(nhi-guard checkov-dir)"."""
    import importlib.util

    spec = importlib.util.find_spec("scanner.checkov_pack")
    if spec is None or not spec.submodule_search_locations:
        raise click.ClickException("the Checkov pack is not installed with this copy of nhi-guard")
    _out(next(iter(spec.submodule_search_locations)))


@main.command()
def mcp() -> None:
    """Run the MCP server over stdio (tools: scan, explain_rule, list_rules); needs nhi-guard[mcp]."""
    try:
        from scanner.integrations.mcp_server import run
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "mcp":
            raise
        # not installed, or the 1.x SDK (no mcp.server.mcpserver)
        _fail("nhi-guard mcp needs the MCP Python SDK 2.x: pip install 'nhi-guard[mcp]'")
    run()


@main.group()
def hook() -> None:
    """Hooks for coding agents: scan a change before the agent writes it."""


@hook.command("claude-code")
def hook_claude_code() -> None:
    """Claude Code PreToolUse hook for Write|Edit|MultiEdit: deny a Terraform change that adds findings.

    Reads the hook event on stdin; prints a deny decision for findings at or above fail_on that the
    change adds; exits 0 otherwise (1 only for an event that is not JSON).
    """
    from scanner.integrations.claude_code import run

    sys.exit(run())
