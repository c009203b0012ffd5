"""Text from scanned code that reaches GitHub: annotation lines and Markdown (comment, job summary).

A hostile plan names its resources with terminal escapes, line breaks and workflow commands, and
its tags with URLs and @mentions; none of it may forge a command, colour the log, link or notify.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from conftest import TODAY

from scanner.api import ScanOptions, scan
from scanner.integrations.action.commands import annotation_commands

#: every control character a name can smuggle, and a workflow command after a line break
HOSTILE_KEY = "a\x1b[2J\x1b[31mred\rb\n::error::forged\x85c\u2028d\u2029e\x07f\tg%0Ah\x9bi\x7fj"


def _hostile_plan(tmp_path: Path) -> Path:
    address = f'aws_iam_user.u["{HOSTILE_KEY}"]'
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {},
        "resource_changes": [
            {
                "address": address,
                "mode": "managed",
                "type": "aws_iam_user",
                "name": "u",
                "index": HOSTILE_KEY,
                "change": {"actions": ["create"], "before": None, "after": {"name": "u"}, "after_unknown": {}},
            }
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_annotation_lines_escape_and_strip_what_scanned_names_hold(tmp_path: Path) -> None:
    report = scan([str(_hostile_plan(tmp_path))], ScanOptions(today=TODAY)).report
    lines, left_out = annotation_commands(report.findings, str(tmp_path))
    assert left_out == 0 and len(lines) == len(report.findings) == 3
    # ESC, BEL, CSI, DEL dropped; NEL, line and paragraph separators and tabs are spaces; CR, LF and % escaped
    clean_key = "a[2J[31mred%0Db%0A::error::forged c d ef g%250Ahij"
    owner = next(line for line in lines if "NHI_OWN_001" in line)
    file = "plan.json"  # relative to the workspace
    assert owner == (
        f"::warning file={file},line=1,title=NHI_OWN_001 (medium)%3A Non-human identity has no owner::identity "
        f'aws_iam_user.u["{clean_key}"] has no owner; set `owner` in tags. Fix: Add an owner (tag/label `owner` '
        f"or `team`, native `owners`, or `owner=` in the description). "
        f'(aws_iam_user.u["{clean_key}"])'
    )
    for line in lines:
        assert "\n" not in line and "\r" not in line
        assert not [c for c in line if unicodedata.category(c) in ("Cc", "Zl", "Zp")], repr(line)
        # exactly one command: the `::` that opens it; a forged one would start a line
        assert re.match(r"^::(error|warning|notice) [^:]*::", line)


# --------------------------------------------------------------------------- Markdown

#: what GitHub would turn into links and notifications if it reached a page as plain text
LINKY = (
    "see https://evil.example/x?a=1 or www.evil.example, mail bob@example.com, ping @alice and @acme/security, "
    "see #12, acme/infra#3 and GH-4"  # issue references: links, and a "mentioned this" event on that issue
)

_LINKY_MODULE = f"""
resource "aws_iam_user" "ci" {{
  name = "ci"
  tags = {{
    owner = "@acme/owners", requested_by = "@alice https://x.example", approved_by = "@alice https://x.example"
  }}
}}

resource "aws_iam_access_key" "ci" {{
  # nhi-guard:ignore NHI_AWS_001 reason="{LINKY}" owner=@acme/platform expires=2027-01-31
  user = aws_iam_user.ci.name
}}

resource "aws_iam_access_key" "old" {{
  # nhi-guard:ignore NHI_AWS_001 reason="{LINKY}" owner=team expires=2020-01-31
  user = aws_iam_user.ci.name
}}
"""


def _text_nodes(markdown: str) -> list[str]:
    """Every piece of text a reader sees outside code spans, and every link target."""
    from markdown_it import MarkdownIt

    out: list[str] = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        for child in token.children or []:
            if child.type == "text":
                out.append(child.content)
            elif child.type == "link_open":
                out.append(f"LINK {child.attrs.get('href')}")
            elif child.type in ("html_inline", "html_block"):
                out.append(f"HTML {child.content}")
    return out


def test_markdown_outputs_show_no_url_mention_or_address_outside_code_spans(tmp_path: Path) -> None:
    from scanner.integrations.action.summary import SummaryInput, comment_body, job_summary
    from scanner.reporters import get_reporter

    (tmp_path / "main.tf").write_text(_LINKY_MODULE, encoding="utf-8")
    report = scan([str(tmp_path)], ScanOptions(today=TODAY)).report
    assert {f.rule_id for f in report.findings} >= {"NHI_APR_003", "NHI_APR_004"}
    assert report.waivers and report.waivers[0].reason == LINKY
    summary = SummaryInput(report=report, fail_on=None, pr_author="@alice")
    outputs = {
        "markdown report": get_reporter("markdown")(report, False),
        "job summary": job_summary(summary),
        "comment": comment_body(summary, "https://github.example/run/1"),
    }
    for name, markdown in outputs.items():
        assert "`https://evil.example/x?a=1`" in markdown and "`@acme/security`" in markdown, name
        assert "`#12`" in markdown and "`acme/infra#3`" in markdown and "`GH-4`" in markdown, name
        for text in _text_nodes(markdown):
            # our own links only: rule documentation and the run
            if text.startswith("LINK "):
                assert text.split()[1].startswith(("https://github.com/", "https://github.example/run/")), (name, text)
                continue
            assert not re.search(r"https?://|www\.|@\w|#\d|GH-\d", text), (name, text)
