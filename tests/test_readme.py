"""The README's walkthrough "from chat draft to approved change" shows real output: it is replayed here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TODAY

from scanner.integrations.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ANSWER = """**User:** Our Glue ETL job needs to read the raw bucket. Can you write the role? Security wants an approver on every new identity.

**Assistant:** Here is the role with an inline policy that reads `raw-bucket`, tagged so the approval check passes:

```hcl
resource "aws_iam_role" "etl" {
  name               = "etl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "glue.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  tags = { owner = "team-data", requested_by = "alice", approved_by = "TBD", change_ticket = "CHG-1234" }
}

resource "aws_iam_role_policy" "read" {
  role   = aws_iam_role.etl.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::raw-bucket/*" }]
  })
}
```
"""  # noqa: E501 - a chat answer's lines are as long as they are
ACTION_DATA = ROOT / "tests" / "data" / "action"


def walkthrough() -> list[tuple[str, str]]:
    """(language, text) of each fenced block of the README's walkthrough, dedented."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Approvals: from chat draft to approved change", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^( *)```(\w+)\n(.*?)^\1```$", section, re.M | re.S)
    return [(lang, textwrap.dedent(body)) for _indent, lang, body in blocks]


def test_the_walkthrough_replays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NHI_GUARD_TODAY", TODAY.isoformat())
    for name in ("NHI_GUARD_REQUESTER", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "answer.md").write_text(ANSWER, encoding="utf-8")
    role = ANSWER.split("```hcl\n", 1)[1].split("```", 1)[0]
    approved = role.replace(', approved_by = "TBD", change_ticket = "CHG-1234" }', " }")
    widened = approved.replace('Action = ["s3:GetObject"]', 'Action = ["s3:GetObject", "s3:PutObject"]')
    # what changes before each console block: the change, the reviews, the widening, and back
    before = {
        1: lambda: (tmp_path / "infra").mkdir() or (tmp_path / "infra" / "etl.tf").write_text(approved, "utf-8"),
        3: lambda: shutil.copy(ACTION_DATA / "reviews_commented.json", tmp_path / "reviews.json"),
        4: lambda: shutil.copy(ACTION_DATA / "reviews_approved.json", tmp_path / "reviews.json"),
        5: lambda: (tmp_path / "infra" / "etl.tf").write_text(widened, "utf-8"),
        6: lambda: (tmp_path / "infra" / "etl.tf").write_text(approved, "utf-8"),
    }
    blocks = walkthrough()
    consoles = [text for lang, text in blocks if lang == "console"]
    assert len(consoles) == 7
    for i, text in enumerate(consoles):
        if i in before:
            before[i]()
        command, _, expected = text.partition("\n")
        assert command.startswith("$ nhi-guard ")
        result = CliRunner().invoke(main, shlex.split(command)[2:])
        assert result.output == expected, f"README step {i + 1}: {command}"
    # the ledger excerpt is the entry approve wrote, and the JSON the evidence record's identity
    (toml_block,) = [text for lang, text in blocks if lang == "toml"]
    (entry,) = tomllib.loads((tmp_path / "nhi-guard.approvals.toml").read_text(encoding="utf-8"))["approval"]
    assert tomllib.loads(toml_block)["approval"] == [entry]
    assert toml_block in (tmp_path / "nhi-guard.approvals.toml").read_text(encoding="utf-8")
    (json_block,) = [text for lang, text in blocks if lang == "json"]
    shown = json.loads(json_block)
    (identity,) = json.loads((tmp_path / "evidence.json").read_text(encoding="utf-8"))["predicate"]["identities"]
    assert shown == {key: identity[key] for key in shown}
