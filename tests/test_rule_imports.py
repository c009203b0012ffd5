"""No rule module imports another rule module: shared logic lives in a family helper or scanner/iam/."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

RULES = ROOT / "scanner" / "rules"


def _rule_module(name: str) -> bool:
    """``scanner.rules.aws.nhi_aws_043_credential_exposure``: one rule's module."""
    parts = name.split(".")
    return len(parts) == 4 and parts[:2] == ["scanner", "rules"] and parts[3].startswith("nhi_")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_no_module_under_rules_imports_a_rule_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(RULES.rglob("*.py"))
        for name in _imports(path)
        if _rule_module(name)
    ]
    assert offenders == []


def test_the_check_sees_a_rule_import(tmp_path: Path) -> None:
    module = tmp_path / "nhi_x_001.py"
    module.write_text(
        "from scanner.rules.aws.nhi_aws_043_credential_exposure import CREDENTIAL_ACTIONS\n"
        "from scanner.rules.gcp import nhi_gcp_002_primitive_role\n"
        "from scanner.rules.gcp.iam import bindings\n",
        encoding="utf-8",
    )
    assert [n for n in _imports(module) if _rule_module(n)] == [
        "scanner.rules.aws.nhi_aws_043_credential_exposure",
        "scanner.rules.gcp.nhi_gcp_002_primitive_role",
    ]
