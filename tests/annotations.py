"""Read expectations written in fixtures, semgrep-rules style.

HCL and Markdown: a comment directly above a block (blank lines and other
comments may sit between)::

    # expect: NHI_AWS_001, NHI_OWN_001
    resource "aws_iam_access_key" "ci" { ... }

    # expect: none
    resource "aws_iam_role" "ok" { ... }

Plan JSON has no comments, so entries carry Terraform's own JSON comment key::

    {"address": "aws_iam_access_key.ci", "//": "expect: NHI_AWS_001", ...}

Provider blocks (``provider.aws``, ``provider.aws.<alias>``) may be annotated the
same way: a comment above the ``provider`` block, or a ``"//"`` key in the
``configuration.provider_config`` entry of a plan.

A rule ID listed twice is expected to fire twice on that resource.

An object whose address is not the block's own (an instance of a block with ``count`` or
``for_each``, a resource of an expanded module) is annotated with its full address, anywhere
in the case's files; a block annotated only this way counts as annotated::

    # expect at module.ci.aws_iam_access_key.this[0]: NHI_AWS_001
    # expect at aws_iam_access_key.gone: none
    resource "aws_iam_access_key" "this" { count = var.create ? 1 : 0 ... }

In a module's own directory below the case (``modules/user/``), blocks are annotated with
``expect at`` only (or ``# expect: none``): the addresses there are the callers'.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

EXPECT_RE = re.compile(r"^\s*(?:#|//)\s*expect:\s*(.*)$")
EXPECT_AT_RE = re.compile(r"^\s*(?:#|//)\s*expect at\s+(\S+):\s*(.*)$")
BLOCK_RE = re.compile(
    r'^\s*(resource|data)\s+"?([\w-]+)"?\s+"?([\w-]+)"?|^\s*(output)\s+"?([\w-]+)"?|^\s*(provider)\s+"?([\w-]+)"?'
)

Expectations = dict[tuple[str, str], Counter[str]]


def _ids(text: str) -> Counter[str]:
    text = text.strip()
    if text.lower() in ("none", ""):
        return Counter()
    return Counter(t.strip() for t in text.split(",") if t.strip())


ALIAS_RE = re.compile(r'^\s*alias\s*=\s*"([\w-]+)"')


def _address(match: re.Match[str], following: list[str] | None = None) -> str | None:
    if match.group(1) == "resource":
        return f"{match.group(2)}.{match.group(3)}"
    if match.group(1) == "data":
        return f"data.{match.group(2)}.{match.group(3)}"
    if match.group(4):
        return f"output.{match.group(5)}"
    if match.group(6):
        alias = ""
        for line in following or []:
            if line.startswith("}"):
                break
            m = ALIAS_RE.match(line)
            if m:
                alias = "." + m.group(1)
                break
        return f"provider.{match.group(7)}{alias}"
    return None


def from_text(path: Path, module_dir: bool = False) -> tuple[Expectations, list[str]]:
    """Expectations plus the addresses of resource/output blocks that carry none.

    ``module_dir``: the file is in a module directory below the case, where a block's own
    address means nothing (``# expect:`` may only say ``none`` there).
    """
    expected: Expectations = {}
    unannotated: list[str] = []
    pending: Counter[str] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        at = EXPECT_AT_RE.match(line)
        if at:
            expected[(str(path), at.group(1))] = _ids(at.group(2))
            pending = pending if pending is not None else Counter()
            continue
        m = EXPECT_RE.match(line)
        if m:
            pending = _ids(m.group(1))
            assert not (module_dir and pending), f"{path}:{n + 1}: in a module directory, use `expect at ADDRESS:`"
            continue
        block = BLOCK_RE.match(line)
        if block:
            address = _address(block, lines[n + 1 :])
            if address is not None:
                if pending is None:
                    if block.group(1) == "resource" or block.group(4):
                        unannotated.append(f"{path}: {address}" if module_dir else address)
                elif not module_dir and (pending or (str(path), address) not in expected):
                    expected[(str(path), address)] = pending
            pending = None
    return expected, unannotated


def from_plan(path: Path) -> tuple[Expectations, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    expected: Expectations = {}
    unannotated: list[str] = []
    for rc in data.get("resource_changes") or []:
        note = rc.get("//")
        if note is None:
            unannotated.append(rc["address"])
            continue
        m = re.match(r"expect:\s*(.*)$", note)
        assert m, f"{path}: bad annotation {note!r}"
        expected[(str(path), rc["address"])] = _ids(m.group(1))
    for name, oc in (data.get("output_changes") or {}).items():
        note = oc.get("//")
        if note is None:
            unannotated.append(f"output.{name}")
        else:
            expected[(str(path), f"output.{name}")] = _ids(note.split(":", 1)[1])
    for pc in ((data.get("configuration") or {}).get("provider_config") or {}).values():
        note = pc.get("//")
        if note is not None:
            address = f"provider.{pc['name']}" + (f".{pc['alias']}" if pc.get("alias") else "")
            if pc.get("module_address"):
                address = f"{pc['module_address']}.{address}"
            expected[(str(path), address)] = _ids(note.split(":", 1)[1])
    return expected, unannotated
