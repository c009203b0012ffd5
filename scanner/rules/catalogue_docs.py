"""Generate the rule catalogue (docs/rules.md) and the report schema (docs/report.schema.json).

python -m scanner.rules.catalogue_docs            # regenerate both files
python -m scanner.rules.catalogue_docs --check    # exit 1 when either file is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from scanner import PACKAGE_DIR
from scanner.rules import Rule, all_rules

DOCS_DIR = PACKAGE_DIR.parent / "docs"
RULES_MD = "rules.md"
SCHEMA_JSON = "report.schema.json"
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
REGENERATE = "python -m scanner.rules.catalogue_docs"

_FENCE = re.compile(r"^\s*(```|~~~)")


def rule_summary(rule: Rule) -> dict[str, object]:
    """One rule as ``nhi-guard rules --format json`` and the MCP server's ``list_rules`` show it."""
    return {
        "id": rule.id,
        "category": str(rule.category),
        "severity": str(rule.severity),
        "title": rule.title,
        "remediation": rule.fix,
        "resource_types": list(rule.resource_types),
        "help_uri": rule.help_uri(),
    }


def rule_sections(doc: str) -> dict[str, str]:
    """``## Heading`` -> body, from a rule docstring (headings inside code fences do not count)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    fenced = False
    for line in doc.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            current = out.setdefault(line[3:].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def _demote(doc: str) -> str:
    """Shift Markdown headings down one level (``##`` -> ``###``) outside code fences."""
    lines, fenced = [], False
    for line in doc.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,5} ", line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _applies_to(rule: Rule) -> str:
    if rule.resource_types:
        return ", ".join(f"`{t}`" for t in rule.resource_types)
    if not rule.modes:
        return "waivers (reported by the engine while applying them)"
    return "every " + " / ".join(f"`{m}`" for m in rule.modes) + " block"


def render_rules_md() -> str:
    rules = all_rules()
    out = [
        "# Rule catalogue",
        "",
        f"<!-- Generated from the rule registry by `{REGENERATE}`. Do not edit by hand. -->",
        "",
        f"nhi-guard has {len(rules)} rules. Every finding links to its section here; "
        "`nhi-guard explain <ID>` prints the same text and `nhi-guard rules` lists them.",
        "Severities can be overridden and rules disabled in `.nhi-guard.toml` (`[severity]`, `disable`).",
        "",
        "| ID | Category | Severity | Title |",
        "| --- | --- | --- | --- |",
    ]
    for r in rules:
        out.append(f"| [{r.id}](#{r.id.lower()}) | {r.category} | {r.severity} | {_cell(r.title)} |")
    for r in rules:
        out += [
            "",
            f"## {r.id}",
            "",
            f"**{r.title}**",
            "",
            f"- Category: `{r.category}`",
            f"- Severity: `{r.severity}`",
            f"- Applies to: {_applies_to(r)}",
        ]
        if r.cross_resource:
            out.append("- Cross-resource: reads other resources of the same scan")
        if r.needs_plan:
            out.append("- Needs a plan: what it judges exists only in plan JSON")
        if r.compares_before_after:
            out.append("- Compares a plan's `before` with its `after`")
        out.append("- Checkov pack: " + ("yes" if r.in_checkov else "no, see [docs/checkov.md](checkov.md)"))
        out += ["", _demote(r.doc()), "", "### Fix", "", r.fix]
    return "\n".join(out) + "\n"


CHECKOV_MD = "checkov.md"
_CHECKOV_TABLE = re.compile(r"(<!-- checkov-table: begin.*?-->\n).*?(<!-- checkov-table: end -->)", re.S)


def render_checkov_table() -> str:
    """The table of rules the Checkov pack cannot run, from each rule's ``in_checkov`` and ``checkov_note``."""
    rows = ["| rule | why |", "|---|---|"]
    rows += [f"| `{r.id}` | {_cell(r.checkov_note)} |" for r in all_rules() if not r.in_checkov]
    return "\n".join(rows) + "\n"


def render_checkov_md(current: str) -> str:
    """docs/checkov.md with its generated table replaced; the prose around it is written by hand."""
    return _CHECKOV_TABLE.sub(lambda m: m.group(1) + render_checkov_table() + m.group(2), current, count=1)


def render_schema() -> str:
    from scanner.model.report import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def generated(docs_dir: Path = DOCS_DIR) -> dict[Path, str]:
    out = {docs_dir / RULES_MD: render_rules_md(), docs_dir / SCHEMA_JSON: render_schema()}
    checkov = docs_dir / CHECKOV_MD
    if checkov.is_file():
        out[checkov] = render_checkov_md(checkov.read_text(encoding="utf-8"))
    return out


def stale(docs_dir: Path = DOCS_DIR) -> list[Path]:
    out = []
    for path, text in generated(docs_dir).items():
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.rules.catalogue_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a generated file is out of date")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_DIR, help="where docs live (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        old = stale(args.docs_dir)
        for path in old:
            print(f"{path} is out of date; run `{REGENERATE}`", file=sys.stderr)
        return 1 if old else 0
    args.docs_dir.mkdir(parents=True, exist_ok=True)
    for path, text in generated(args.docs_dir).items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
