"""Workflow commands (``::error file=...::``) and step outputs (``$GITHUB_OUTPUT``).

Escaping follows the runner (``@actions/core``): in the message ``%``, CR and LF become
``%25``, ``%0D`` and ``%0A``; in properties ``:`` and ``,`` become ``%3A`` and ``%2C`` as well.
Before that, every other control character is taken out of every value: a resource name or a
file name from the scanned code can hold ``ESC [31m``, which colours the log, or a NEL or
Unicode line separator, which a log viewer may break the line at. Those and tabs become spaces,
the rest is dropped. (CR and LF are escaped, so they cannot start a line of their own, where the
runner reads commands; the annotation shows them as line breaks.) Longer text from scanned code is printed
between ``::stop-commands::`` markers, so a resource name cannot smuggle in a workflow command.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TextIO

from scanner.model.report import Finding
from scanner.model.severity import Severity

#: GitHub shows at most 10 annotations of each level per step; the rest are dropped silently
MAX_PER_LEVEL = 10
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


#: C0 controls but CR and LF (escaped below), DEL, C1 controls, the Unicode line and paragraph separators
_CONTROL: dict[int, str | None] = {
    i: None for i in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if i not in (0x0A, 0x0D)
}
_CONTROL.update({0x09: " ", 0x85: " ", 0x2028: " ", 0x2029: " "})


def strip_controls(text: str) -> str:
    return text.translate(_CONTROL)


def escape_data(text: str) -> str:
    return strip_controls(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: object) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v not in (None, ""))
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def workspace_path(file: str, workspace: str, cwd: str | None = None, path: ModuleType = os.path) -> str:
    """``file`` (relative to the working directory ``cwd``) relative to the workspace, with ``/``.

    GitHub matches an annotation's ``file`` to the repository with forward slashes, relative to
    ``GITHUB_WORKSPACE``, on every runner: on Windows (``path`` is ``ntpath``) ``infra\\main.tf``
    becomes ``infra/main.tf``, and a file on another drive or outside the workspace keeps its own
    path, with ``/``. ``cwd`` and ``path`` are for tests (a Windows path on a Linux machine).
    """
    if file.startswith("<"):
        return file
    absolute = path.normpath(path.join(os.getcwd() if cwd is None else cwd, file))
    try:
        rel = path.relpath(absolute, workspace)
    except ValueError:  # another drive on Windows
        rel = path.pardir
    out = file if rel == path.pardir or rel.startswith(path.pardir + path.sep) else rel
    return out.replace(path.sep, "/") if path.sep != "/" else out


def annotation(f: Finding, workspace: str) -> str:
    severity = str(f.severity)
    message = f.message.rstrip()
    sep = " " if message.endswith((".", "!", "?")) else ". "
    also = "".join(
        f" See also {r.resource} ({r.message}) at {workspace_path(r.file, workspace)}:{r.line}." for r in f.related
    )
    return command(
        LEVEL[severity],
        f"{message}{sep}Fix: {f.remediation} ({f.resource}){also}",
        file=None if f.file.startswith("<") else workspace_path(f.file, workspace),
        line=f.line if f.line else None,
        title=f"{f.rule_id} ({severity}): {f.title}",
    )


def annotation_commands(findings: Iterable[Finding], workspace: str) -> tuple[list[str], int]:
    """Annotation commands, most severe first, at most :data:`MAX_PER_LEVEL` per level;
    and how many findings were left out."""
    ordered = sorted(findings, key=lambda f: -Severity(f.severity).rank)
    used: dict[str, int] = {}
    out: list[str] = []
    left_out = 0
    for f in ordered:
        level = LEVEL[str(f.severity)]
        if used.get(level, 0) >= MAX_PER_LEVEL:
            left_out += 1
            continue
        used[level] = used.get(level, 0) + 1
        out.append(annotation(f, workspace))
    return out, left_out


def print_untrusted(text: str, out: TextIO) -> None:
    """Print ``text`` to the log with workflow commands switched off around it."""
    token = f"nhi-guard-{secrets.token_hex(16)}"
    out.write(f"::stop-commands::{token}\n")
    out.write(text if text.endswith("\n") else text + "\n")
    out.write(f"::{token}::\n")


def write_outputs(path: str | None, values: Mapping[str, object]) -> None:
    """Append ``name=value`` lines (a delimited block for multi-line values) to ``$GITHUB_OUTPUT``."""
    if not path:
        return
    lines: list[str] = []
    for name, value in values.items():
        text = str(value)
        if "\n" in text or "\r" in text:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines.append(f"{name}<<{delimiter}\n{text}\n{delimiter}")
        else:
            lines.append(f"{name}={text}")
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
