"""Command line: ``nhi-guard scan | rules | explain``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from scanner import __version__
from scanner.severity import Severity

SEVERITIES = [s.value for s in Severity]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nhi-guard")
def main() -> None:
    """Find non-human identities without expiry, ownership, least privilege or approval."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="write the report here")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="config file (else discovered)")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="lowest severity that fails (default: config, low)")
@click.option("--include-unchanged", is_flag=True, help="plan JSON: also scan no-op resources")
@click.option("--debug", is_flag=True, help="show tracebacks for internal errors")
def scan(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    config_path: str | None,
    fail_on: str | None,
    include_unchanged: bool,
    debug: bool,
) -> None:
    """Scan .tf directories, plan JSON files, Markdown chat answers, or - for stdin."""
    from scanner.config import ConfigError, discover, load_config
    from scanner.engine import ScanOptions, exit_code
    from scanner.engine import scan as run_scan
    from scanner.reporters import get_reporter

    cfg_file = Path(config_path) if config_path else discover(Path(paths[0] if paths[0] != "-" else "."))
    if config_path and not Path(config_path).is_file():
        click.echo(f"nhi-guard: error: {config_path}: config file not found", err=True)
        sys.exit(2)
    try:
        config = load_config(cfg_file)
    except ConfigError as exc:
        click.echo(f"nhi-guard: error: {exc}", err=True)
        sys.exit(2)
    stdin_text = None
    if "-" in paths:
        data = sys.stdin.buffer.read()
        from scanner.loaders.inputs import read_text
        from scanner.model import LoadError

        stdin_errors: list[LoadError] = []
        stdin_text = read_text("<stdin>", data, stdin_errors)
    try:
        report = run_scan(
            list(paths),
            config,
            ScanOptions(include_unchanged=include_unchanged, config_file=str(cfg_file) if cfg_file else None),
            stdin_text,
        )
    except Exception as exc:
        if debug:
            raise
        click.echo(f"nhi-guard: internal error: {type(exc).__name__}; rerun with --debug for details", err=True)
        sys.exit(2)
    render = get_reporter(fmt)
    color = fmt == "text" and output is None and sys.stdout.isatty()
    text = render(report, color)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        if fmt != "text":
            click.echo(render(report, False) if False else _short_summary(report), err=True)
    else:
        click.echo(text, nl=False)
    if output and fmt == "text":
        pass
    sys.exit(exit_code(report, Severity(fail_on) if fail_on else config.fail_on))


def _short_summary(report: object) -> str:
    s = report.summary
    return f"nhi-guard: {s.total} finding(s), {len(report.errors)} error(s)"


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules(fmt: str) -> None:
    """List the rule catalogue."""
    from scanner.rules import all_rules

    catalogue = all_rules()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "category": str(r.category),
                        "severity": str(r.severity),
                        "title": r.title,
                        "remediation": r.fix,
                        "resource_types": list(r.resource_types),
                        "help_uri": r.help_uri(),
                    }
                    for r in catalogue
                ],
                indent=2,
            )
        )
        return
    width = max(len(r.title) for r in catalogue)
    click.echo(f"{'ID':12} {'CATEGORY':16} {'SEVERITY':9} TITLE")
    for r in catalogue:
        click.echo(f"{r.id:12} {r.category!s:16} {r.severity!s:9} {r.title:{width}}".rstrip())


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's rationale, example and remediation."""
    from scanner.rules import get_rule

    rule = get_rule(rule_id)
    if rule is None:
        click.echo(f"nhi-guard: error: unknown rule '{rule_id}'; run `nhi-guard rules` for the list", err=True)
        sys.exit(2)
    click.echo(f"{rule.id}: {rule.title}\ncategory: {rule.category}  severity: {rule.severity}\n")
    click.echo(rule.doc())
    click.echo(f"\nFix: {rule.fix}\nDocs: {rule.help_uri()}")
