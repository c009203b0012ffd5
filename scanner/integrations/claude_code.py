"""``nhi-guard hook claude-code``: a Claude Code ``PreToolUse`` hook for ``Write``, ``Edit`` and ``MultiEdit``.

Claude Code runs the hook before each matching tool call, with the event as JSON on stdin
(``tool_name``, ``tool_input.file_path``, ``content`` / ``old_string`` / ``new_string`` /
``replace_all`` / ``edits``, ``cwd``). For a Terraform file (``.tf``, ``.tf.json``) the hook builds
the file as it would be after the call and scans it with the other files of its directory, as one
module (:attr:`scanner.api.ScanOptions.overlays`; not the modules in its subdirectories), then
scans the directory as it is now. It denies the call only for findings at or above ``fail_on``
(the config's) whose fingerprint the module does not have yet: what the change adds. Findings
already there do not block every edit.

To deny, it prints ``{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision":
"deny", "permissionDecisionReason": ...}}``, with rule ID, resource and fix per finding; Claude
Code shows the reason to the model, which can then correct the code. It never prints ``allow``
(that would skip the user's permission prompts): anything else exits 0 with no output. Only an
event that is not valid JSON is an error (exit 1, a message on stderr, the call goes on); a
broken config or an internal error is one line on stderr and exit 0, never exit 2, which Claude
Code treats as "block".
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from scanner.model.severity import Severity
from scanner.reporters.control import visible

if TYPE_CHECKING:  # the scanner loads only for a Terraform file: a README edit costs a bare start-up
    from scanner.model.report import Finding

TOOLS = ("Write", "Edit", "MultiEdit")
TERRAFORM = (".tf", ".tf.json")
EXIT_OK, EXIT_MALFORMED = 0, 1
#: findings listed in full in the reason; the rest are counted (the model reads every word)
LISTED = 20


class MalformedEvent(Exception):
    """The hook's stdin is not a JSON object."""


class CannotScan(Exception):
    """The scan could not start (a broken config); the message names the file."""


@dataclass(frozen=True)
class Change:
    """A Terraform file and the text it would have after the tool call (None: the call will fail)."""

    path: Path
    before: str | None
    after: str | None


def main(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    try:
        event = parse(stdin.read())
    except MalformedEvent as exc:
        stderr.write(f"nhi-guard hook claude-code: {exc}\n")
        return EXIT_MALFORMED
    try:
        decision = decide(event)
    except CannotScan as exc:  # a broken config: say so, never block on our own problem
        stderr.write(f"nhi-guard hook claude-code: {exc}\n")
        return EXIT_OK
    except Exception as exc:  # exit 2 would block every write in Claude Code
        if os.environ.get("NHI_GUARD_DEBUG"):
            raise
        # the type only: an exception's text can quote the file, and the file can hold secrets
        stderr.write(f"nhi-guard hook claude-code: internal error: {type(exc).__name__}; the call goes on\n")
        return EXIT_OK
    if decision is not None:
        stdout.write(json.dumps(decision) + "\n")
    return EXIT_OK


def parse(text: str) -> dict[str, Any]:
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedEvent(f"the hook event on stdin is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(event, dict):
        raise MalformedEvent("the hook event on stdin is not a JSON object")
    return event


def change_of(event: Mapping[str, Any]) -> Change | None:
    """The Terraform file a Write/Edit/MultiEdit event touches, before and after; None for anything else."""
    tool = event.get("tool_name")
    args = event.get("tool_input")
    if tool not in TOOLS or not isinstance(args, dict):
        return None
    file_path = args.get("file_path")
    if not isinstance(file_path, str) or not file_path.lower().endswith(TERRAFORM) or "\0" in file_path:
        return None  # (no file has a NUL in its name: the tool call fails on its own)
    cwd = event.get("cwd")
    path = Path(file_path)
    if not path.is_absolute():
        path = Path(cwd if isinstance(cwd, str) and cwd else os.getcwd()) / path
    path = Path(os.path.abspath(path))
    before = _read(path)
    if tool == "Write":
        content = args.get("content")
        return Change(path, before, content if isinstance(content, str) else None)
    edits = [args] if tool == "Edit" else args.get("edits")
    after = before
    for edit in edits if isinstance(edits, list) else [None]:
        after = _apply(after, edit)
    return Change(path, before, after)


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:  # a new file, or one we cannot read: scanned as absent
        return None
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _apply(text: str | None, edit: object) -> str | None:
    """One Edit as Claude Code applies it; None when it would fail (Claude Code rejects the call itself)."""
    if not isinstance(edit, dict):
        return None
    old, new = edit.get("old_string"), edit.get("new_string")
    if not isinstance(old, str) or not isinstance(new, str):
        return None
    if text is None:
        return new if old == "" else None  # an Edit with an empty old_string creates the file
    if old == "" or old not in text:
        return None
    return text.replace(old, new) if edit.get("replace_all") is True else text.replace(old, new, 1)


def decide(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The hook's answer: a deny decision, or None to let the call through."""
    change = change_of(event)
    if change is None or change.after is None or change.after == change.before:
        return None
    added, fail_on, config_file = added_findings(change)
    if not added or fail_on is None:
        return None
    cwd = event.get("cwd")
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason(
                change.path, added, fail_on, config_file, cwd if isinstance(cwd, str) and cwd else None
            ),
        }
    }


def added_findings(change: Change) -> tuple[list[Finding], Severity | None, str | None]:
    """Findings at or above ``fail_on`` that the module has after the change and not before it."""
    from scanner.api import ScanError, ScanOptions, resolve_fail_on, scan

    directory = str(change.path.parent)
    overlays = {str(change.path): change.after or ""}
    try:
        after = scan([directory], ScanOptions(overlays=overlays, allow_empty=True, recursive=False, jobs=1))
    except ScanError as exc:
        raise CannotScan(str(exc)) from None
    fail_on = resolve_fail_on(None, after.config)
    failing = [f for f in after.report.findings if fail_on is not None and Severity(f.severity).rank >= fail_on.rank]
    if not failing:
        return [], fail_on, after.config_file
    # the module as it is now (a file that cannot be read is absent): its findings do not block
    before = scan([directory], ScanOptions(allow_empty=True, recursive=False, jobs=1))
    known = {f.fingerprint for f in before.report.findings}
    return [f for f in failing if f.fingerprint not in known], fail_on, after.config_file


def reason(path: Path, added: list[Finding], fail_on: Severity, config_file: str | None, cwd: str | None) -> str:
    lines = [
        f"nhi-guard blocked this change to {_shown(str(path), cwd)}: it adds {len(added)} finding(s) at or "
        f"above '{fail_on.value}'" + (f" (fail_on in {_shown(config_file, cwd)})" if config_file else "") + ".",
        "Rewrite the change so that each one is fixed:",
    ]
    for f in added[:LISTED]:
        lines.append(
            f"- {f.rule_id} ({f.severity}) on {f.resource} at {_shown(f.file, cwd)}:{f.line}: "
            f"{f.message.rstrip('.')}. Fix: {f.remediation}"
        )
    if len(added) > LISTED:
        lines.append(f"- and {len(added) - LISTED} more: run `nhi-guard scan {_shown(str(path.parent), cwd)}`")
    lines.append(
        "`nhi-guard explain RULE_ID` shows a rule's rationale and an example fix. If the risk is accepted, "
        "the user adds a waiver with a reason, an owner and an expiry date; do not add one yourself."
    )
    # control characters from scanned code (a for_each key) are shown escaped, line by line
    return "\n".join(visible(line) for line in lines)


def _shown(file: str, cwd: str | None) -> str:
    """A report path (relative to this process's directory) as seen from Claude Code's ``cwd``."""
    if not cwd or file.startswith("<"):
        return file
    try:
        return os.path.relpath(os.path.abspath(file), cwd)
    except ValueError:  # another drive on Windows
        return file


def run() -> int:
    return main(sys.stdin, sys.stdout, sys.stderr)
