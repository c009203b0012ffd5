"""Output contracts: JSON (docs/report.schema.json), SARIF 2.1.0 for GitHub, Markdown, text."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, TODAY
from markdown_it import MarkdownIt

from scanner.api import ScanOptions, scan
from scanner.model.report import ErrorEntry, Finding, InventoryItem, Report
from scanner.policy.config import Config, discover, load_config
from scanner.reporters import FORMATS, get_reporter
from scanner.reporters.markdown_tables import code, inline
from scanner.reporters.sarif import SECURITY_SEVERITY, artifact_location, to_sarif
from scanner.reporters.text import should_color
from scanner.rules import all_rules

DATA = Path(__file__).parent / "data"
ACCESS_KEY = "fixtures/hcl/aws_access_key"
REPORT_SCHEMA = ROOT / "docs" / "report.schema.json"
SARIF_SCHEMA = DATA / "sarif-2.1.0.json"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # reports carry paths relative to the working directory


def run(*paths: str, config: Config | None = None) -> Report:
    cfg = config if config is not None else load_config(discover(Path(paths[0])))
    return scan(list(paths), ScanOptions(config=cfg, today=TODAY)).report


def as_json(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(get_reporter("json")(report, False))
    return data


# --------------------------------------------------------------------------- JSON


def test_json_validates_against_published_schema() -> None:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    for report in (run(ACCESS_KEY), run(ACCESS_KEY, "does/not/exist"), run("tests/data/waivers/inline_valid")):
        validator_cls(schema).validate(as_json(report))


def test_json_top_level_and_finding_keys() -> None:
    data = as_json(run(ACCESS_KEY))
    assert set(data) == {"tool", "findings", "errors", "inventory", "waivers", "summary", "provenance"}
    assert data["provenance"] is None  # recorded for the evidence record only
    assert data["tool"]["name"] == "nhi-guard"
    from scanner import __version__

    assert data["tool"]["version"] == __version__
    required = {
        "rule_id", "category", "severity", "title", "message", "remediation", "resource",
        "resource_type", "file", "line", "fingerprint", "help_uri", "related",
    }  # fmt: skip
    assert data["findings"]
    for f in data["findings"]:
        assert set(f) == required
        assert f["help_uri"].endswith("#" + f["rule_id"].lower())
        assert re.fullmatch(r"[0-9a-f]{32}", f["fingerprint"])
    assert data["errors"] == []
    assert set(data["summary"]) >= {"total", "by_severity", "by_category", "files_scanned", "resources_scanned"}


def test_json_exact_content_for_access_key_fixture() -> None:
    data = as_json(run(ACCESS_KEY))
    file = f"{ACCESS_KEY}/main.tf"
    got = [(f["resource"], f["rule_id"], f["line"], f["severity"], f["file"]) for f in data["findings"]]
    assert got == [
        ("aws_iam_access_key.ci", "NHI_AWS_001", 17, "high", file),
        ("aws_iam_user.orphan", "NHI_APR_001", 22, "medium", file),
        ("aws_iam_user.orphan", "NHI_OWN_001", 22, "medium", file),
        ("aws_iam_user.orphan", "NHI_APR_002", 22, "low", file),
        ("aws_iam_access_key.orphan", "NHI_AWS_001", 28, "high", file),
    ]
    inventory = {i["resource"]: i for i in data["inventory"]}
    assert {k: (v["kind"], v["line"]) for k, v in inventory.items()} == {
        "aws_iam_user.ci": ("identity", 5),
        "aws_iam_access_key.ci": ("credential", 16),
        "aws_iam_user.orphan": ("identity", 22),
        "aws_iam_access_key.orphan": ("credential", 27),
        "aws_iam_access_key.external": ("credential", 34),
    }
    # the key inherits its user's metadata; the external user is unknown, not missing
    assert inventory["aws_iam_access_key.ci"]["owner"] == "team-platform"
    assert inventory["aws_iam_access_key.ci"]["change_ticket"] == "CHG-1234"
    assert inventory["aws_iam_user.orphan"]["owner"] is None
    assert inventory["aws_iam_access_key.external"]["owner"] == "(unknown)"
    s = data["summary"]
    assert (s["total"], s["files_scanned"], s["resources_scanned"], s["incomplete"]) == (5, 1, 5, False)
    assert s["by_severity"] == {"critical": 0, "high": 2, "medium": 2, "low": 1}
    assert s["by_category"] == {"approval": 2, "expiry": 2, "ownership": 1}
    assert len({f["fingerprint"] for f in data["findings"]}) == 5


def test_json_error_entries_and_rest_still_scanned() -> None:
    data = as_json(run(ACCESS_KEY, "does/not/exist"))
    assert data["errors"] == [{"file": "does/not/exist", "line": None, "message": "no such file or directory"}]
    assert data["summary"]["incomplete"] is True
    assert len(data["findings"]) == 5


# --------------------------------------------------------------------------- fingerprints

_BLOCK = re.compile(r"^(?:#[^\n]*\n)*resource [^\n]*\{\n.*?^\}\n", re.M | re.S)


def test_fingerprints_survive_moved_lines_reordered_blocks_and_renamed_file(tmp_path: Path) -> None:
    module = tmp_path / "infra"
    module.mkdir()
    original = (ROOT / ACCESS_KEY / "main.tf").read_text(encoding="utf-8")
    shutil.copy(ROOT / ACCESS_KEY / "main.tf", module / "main.tf")
    before = run(str(module), config=Config())
    assert before.findings

    blocks = _BLOCK.findall(original)
    assert len(blocks) == len(re.findall(r"^resource ", original, re.M)) > 1
    shuffled = "# moved around\n\n\n// and commented\n/* block\n comment */\n\n" + "\n\n".join(reversed(blocks))
    (module / "main.tf").unlink()
    (module / "identities.tf").write_text(shuffled, encoding="utf-8")
    after = run(str(module), config=Config())

    def key(r: Report) -> dict[tuple[str, str], str]:
        return {(f.resource, f.rule_id): f.fingerprint for f in r.findings}

    assert {f.line for f in after.findings} != {f.line for f in before.findings}  # lines really moved
    assert {f.file for f in after.findings} == {f"{module.as_posix()}/identities.tf"}
    assert key(after) == key(before)


def test_fingerprints_differ_between_modules(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(ROOT / ACCESS_KEY / "main.tf", tmp_path / name / "main.tf")
    report = run(str(tmp_path / "a"), str(tmp_path / "b"), config=Config())
    assert len({f.file for f in report.findings}) == 2
    assert len({f.fingerprint for f in report.findings}) == len(report.findings)


# --------------------------------------------------------------------------- SARIF


def sarif_of(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(get_reporter("sarif")(report, False))
    return data


def validate_sarif(doc: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)  # the schema declares draft-04
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize(
    "paths",
    [
        (ACCESS_KEY,),
        (ACCESS_KEY, "does/not/exist"),
        ("tests/data/waivers/inline_expired",),
        ("tests/data/chat/answer.md",),
        ("tests/data/waivers/inline_valid",),
    ],
    ids=["findings", "with-errors", "bad-waiver", "markdown", "clean"],
)
def test_sarif_validates_against_official_schema(paths: tuple[str, ...]) -> None:
    validate_sarif(sarif_of(run(*paths)))


def test_sarif_driver_lists_every_registry_rule() -> None:
    doc = sarif_of(run("tests/data/waivers/inline_valid"))  # no findings at all
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "nhi-guard"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    registry = all_rules()
    assert [r["id"] for r in driver["rules"]] == [r.id for r in registry]
    for desc, rule in zip(driver["rules"], registry, strict=True):
        assert desc["name"] and desc["shortDescription"]["text"] == rule.title
        assert desc["fullDescription"]["text"]
        assert rule.fix in desc["help"]["text"] and rule.fix in desc["help"]["markdown"]
        assert "## What it does" in desc["help"]["markdown"]
        assert desc["helpUri"] == rule.help_uri()
        props = desc["properties"]
        assert props["category"] == str(rule.category)
        assert str(rule.category) in props["tags"] and "security" in props["tags"]
        assert props["precision"] in {"very-high", "high", "medium", "low"}
        assert props["security-severity"] == SECURITY_SEVERITY[str(rule.severity)]
        assert desc["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_sarif_github_constraints() -> None:
    doc = sarif_of(run(ACCESS_KEY))
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    expected_level = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    for desc in rules:
        sev = desc["properties"]["security-severity"]
        assert isinstance(sev, str) and 0.0 < float(sev) <= 10.0  # GitHub wants a string number
    assert len(run_["results"]) == 5
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == expected_level[result["properties"]["severity"]]
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["nhiGuard/v1"])
        assert "Fix: " in result["message"]["text"]
        (loc,) = result["locations"]
        artifact = loc["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": f"{ACCESS_KEY}/main.tf", "uriBaseId": "%SRCROOT%"}
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/", artifact["uri"])  # relative, no scheme
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        assert loc["logicalLocations"][0]["kind"] == "resource"
    by_rule = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in run_["results"]}
    assert ("NHI_AWS_001", "aws_iam_access_key.ci") in by_rule
    levels = {r["ruleId"]: r["level"] for r in run_["results"]}
    assert levels == {"NHI_AWS_001": "error", "NHI_APR_001": "warning", "NHI_OWN_001": "warning", "NHI_APR_002": "note"}


def test_sarif_errors_become_tool_notifications() -> None:
    doc = sarif_of(run(ACCESS_KEY, "does/not/exist"))
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "no such file or directory" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "does/not/exist"
    assert len(doc["runs"][0]["results"]) == 5


def test_sarif_stdin_and_absolute_paths() -> None:
    report = Report(errors=[ErrorEntry(file="<stdin>", line=3, message="invalid JSON")])
    doc = to_sarif(report)
    validate_sarif(doc)
    (note,) = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "locations" not in note and note["message"]["text"] == "<stdin>:3: invalid JSON"
    assert artifact_location("/tmp/x y/main.tf") == {"uri": "file:///tmp/x%20y/main.tf"}
    assert artifact_location("./a b/main.tf") == {"uri": "a%20b/main.tf", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("<stdin>") is None


def test_sarif_rule_severity_follows_config_override() -> None:
    cfg = Config.model_validate({"severity": {"NHI_AWS_001": "critical"}})
    doc = sarif_of(run(ACCESS_KEY, config=cfg))
    validate_sarif(doc)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["NHI_AWS_001"]["properties"]["security-severity"] == "9.5"
    assert rules["NHI_OWN_001"]["properties"]["security-severity"] == "5.5"


# --------------------------------------------------------------------------- Markdown

NASTY = 'module.m["a|b`c"].aws_iam_user.u'


def nasty_report() -> Report:
    finding = Finding(
        rule_id="NHI_AWS_001",
        category="expiry",
        severity="high",
        title="t",
        message="user @alice said `approved_by` | pipe and a stray ` tick <script>x</script> *bold*",
        remediation="set `owner|team` in tags",
        resource=NASTY,
        resource_type="aws_iam_user",
        file="dir/we|rd`file.tf",
        line=3,
        fingerprint="0" * 32,
        help_uri="https://example.com/rules.md#nhi_aws_001",
    )
    item = InventoryItem(
        resource=NASTY,
        resource_type="aws_iam_user",
        kind="identity",
        owner="@org/team|x",
        expires="(unknown)",
        approved_by=None,
        change_ticket="`CHG`",
        file="x.tf",
        line=1,
        action="create",
    )
    return Report(findings=[finding], inventory=[item])


def _tables(markdown: str) -> list[list[list[str]]]:
    """Rows of cells (rendered inline HTML) of every table, header first."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    row: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            inline_tok = tokens[i + 1]
            row.append(MarkdownIt("commonmark").renderInline(inline_tok.content) if inline_tok.type == "inline" else "")
        elif tok.type == "tr_close":
            tables[-1].append(row)
    return tables


def test_markdown_tables_survive_pipes_and_backticks() -> None:
    md = get_reporter("markdown")(nasty_report(), False)
    tables = _tables(md)
    assert len(tables) == 3  # counts, inventory, findings of the one file
    for table in tables:
        widths = {len(r) for r in table}
        assert len(widths) == 1, table
    inventory, findings = tables[1], tables[2]
    assert inventory[0] == ["Resource", "Kind", "Owner", "Expires", "Approved by", "Change ticket"]
    assert inventory[1][0] == "<code>module.m[&quot;a|b`c&quot;].aws_iam_user.u</code>"
    assert inventory[1][2] == "<code>@org/team|x</code>"  # a code span: no mention, no split cell
    assert inventory[1][3] == "(unknown)" and inventory[1][4] == "—"
    assert inventory[1][5] == "<code>`CHG`</code>"
    assert findings[0] == ["Line", "Resource", "Rule", "Severity", "Message", "Fix"]
    msg = findings[1][4]
    assert "<code>approved_by</code>" in msg  # the rule's own code span is kept
    assert "<code>@alice</code>" in msg  # no @-mention ping in a PR comment
    assert "| pipe" in msg and "stray ` tick" in msg
    assert "&lt;script&gt;" in msg and "<script>" not in msg and "<em>" not in msg
    assert findings[1][5] == "set <code>owner|team</code> in tags"
    assert "#### ``dir/we|rd`file.tf``" in md  # a heading, outside any table: no pipe escaping


def test_markdown_sections_for_fixture() -> None:
    report = run(ACCESS_KEY, "does/not/exist")
    md = get_reporter("markdown")(report, False)
    counts, inventory, findings = _tables(md)
    assert counts[0] == ["Category", "critical", "high", "medium", "low", "Total"]
    assert counts[-1] == ["<strong>Total</strong>", *(f"<strong>{n}</strong>" for n in ("0", "2", "2", "1", "5"))]
    expiry = next(r for r in counts if r[0] == "expiry")
    assert expiry == ["expiry", "0", "2", "0", "0", "2"]
    rows = {r[0]: r for r in inventory[1:]}
    assert rows["<code>aws_iam_user.orphan</code>"][2:] == ["—"] * 4
    assert rows["<code>aws_iam_access_key.external</code>"][2:] == ["(unknown)"] * 4
    assert rows["<code>aws_iam_user.ci</code>"][1:] == [
        "identity", "<code>team-platform</code>", "—", "<code>bob</code>", "<code>CHG-1234</code>",
    ]  # fmt: skip
    assert len(findings) == 6
    assert f"#### `{ACCESS_KEY}/main.tf`" in md
    assert "### Input errors" in md and "`does/not/exist`: no such file or directory" in md
    assert "incomplete scan" in md


def test_markdown_waivers_and_no_findings() -> None:
    md = get_reporter("markdown")(run("tests/data/waivers/inline_valid"), False)
    assert "No findings." in md and "### Waivers applied" in md
    waivers = _tables(md)[-1]
    assert waivers[1][1] == "<code>aws_iam_access_key.ci</code>"
    assert waivers[1][3] == "2099-01-01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a|b", "a\\|b"),
        ("`x|y`", "`x\\|y`"),
        ("odd ` tick", "odd \\` tick"),
        ("``a`b``", "``a`b``"),
        ("line\nbreak", "line break"),
        ("<b>&amp;", "\\<b\\>\\&amp;"),
        ("mail a@b.c, ping @bob", "mail `a@b.c`, ping `@bob`"),
        ("esc \x1b[2J\x9b", "esc \\\\x1b\\[2J\\\\x9b"),  # terminal controls made visible
    ],
)
def test_markdown_inline_escaping(text: str, expected: str) -> None:
    assert inline(text, table=True) == expected


def test_markdown_code_span_fences() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a|b", table=True) == "`a\\|b`"
    assert code("") == ""


# --------------------------------------------------------------------------- text


def test_text_layout_and_no_colour_by_default() -> None:
    out = get_reporter("text")(run(ACCESS_KEY), False)
    lines = out.splitlines()
    assert lines[0] == f"{ACCESS_KEY}/main.tf"
    assert lines[1] == "  aws_iam_access_key.ci  (aws_iam_access_key)"
    assert lines[2].startswith("    HIGH     NHI_AWS_001  Static AWS access key never expires  line 17")
    assert lines[3].strip() == "aws_iam_access_key.ci creates a long-lived AWS access key that never expires"
    assert lines[4].strip().startswith("fix: ")
    assert lines[-1].startswith("5 finding(s) (2 high, 2 medium, 1 low) in 5 resource(s) from 1 file(s)")
    assert "\033[" not in out
    assert "\033[1;31m" in get_reporter("text")(run(ACCESS_KEY), True)


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # empty NO_COLOR is ignored (no-color.org)
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, True, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_should_color(env: dict[str, str], tty: bool, expected: bool) -> None:
    assert should_color(_Stream(tty), env) is expected  # type: ignore[arg-type]


def test_every_format_renders() -> None:
    report = run(ACCESS_KEY)
    for fmt in FORMATS:
        assert get_reporter(fmt)(report, False).endswith("\n")


def test_inventory_prefers_a_known_native_end_date_over_unknown_tags(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
variable "tags" {}
resource "azurerm_key_vault_secret" "known" {
  name            = "db"
  value           = "x"
  key_vault_id    = "kv"
  expiration_date = "2027-01-31T00:00:00Z"
  tags            = var.tags
}
resource "azurerm_key_vault_secret" "unknown" {
  name         = "api"
  value        = "y"
  key_vault_id = "kv"
  tags         = var.tags
}
""",
        encoding="utf-8",
    )
    report = scan([str(tmp_path)], ScanOptions(config=Config(), today=TODAY)).report
    expires = {i.resource: i.expires for i in report.inventory}
    assert expires == {
        "azurerm_key_vault_secret.known": "2027-01-31T00:00:00Z",
        "azurerm_key_vault_secret.unknown": "(unknown)",
    }


@pytest.mark.parametrize(
    "paths",
    [
        ["fixtures/examples"],
        ["fixtures/plan/aws_escalation_methods.json"],
        ["tests/data/waivers/inline_valid"],
        ["does/not/exist"],  # errors only: empty findings, inventory and waivers
        ["fixtures/markdown"],
    ],
    ids=str,
)
def test_json_report_in_pieces_is_byte_identical_to_pydantic(paths: list[str]) -> None:
    from scanner.reporters import get_chunked_reporter

    report = run(*paths, config=Config())
    report.findings[:1] = [f.model_copy(update={"message": "caf\u00e9 \u001b[31m \"q\" \\\\ \u2028 line\nbreak"})
                           for f in report.findings[:1]]  # escaping survives the re-indent
    pieces = list(get_chunked_reporter("json")(report, False))
    assert "".join(pieces) == report.model_dump_json(indent=2) + "\n"
    assert len(pieces) > 2


def test_text_report_shows_control_characters_from_scanned_code_instead_of_sending_them() -> None:
    report = run(ACCESS_KEY, config=Config())
    evil = "aws_iam_access_key.k[\"\x1b]0;pwned\x07\x1b[2J\r\"]"
    report.findings = [f.model_copy(update={"resource": evil, "message": f"{evil} ok"}) for f in report.findings[:1]]
    for color in (False, True):
        text = get_reporter("text")(report, color)
        assert "\x07" not in text and "\r" not in text
        assert "\\x1b]0;pwned\\x07\\x1b[2J\\x0d" in text
        if not color:
            assert "\x1b" not in text
