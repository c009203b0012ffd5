"""The shape ARCHITECTURE.md describes: layers that only import downwards, no import cycles, and
no rule module imported by anything but the registry."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "scanner"
#: bottom to top; a module may import from its own layer or any layer below it
LAYERS = ("util", "model", "policy", "iam", "entitlements", "loaders", "rules", "reporters", "pipeline", "api")
LAYERS += ("integrations",)


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> Iterator[str]:
    """Every nhi-guard module ``path`` imports, at any depth of the file (lazy imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("scanner"):
            yield node.module
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("scanner"))


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # the package root holds the version and the package's paths, nothing else
    if parts[1] == "__main__":  # `python -m scanner` is the CLI
        return LAYERS.index("integrations")
    assert parts[1] in LAYERS, f"{module} is in no layer; add its package to LAYERS and ARCHITECTURE.md"
    return LAYERS.index(parts[1])


def _is_rule(module: str) -> bool:
    return module.startswith("scanner.rules.") and module.rsplit(".", 1)[-1].startswith("nhi_")


def test_every_module_belongs_to_a_layer_and_imports_only_downwards() -> None:
    upward = [
        f"{module} ({LAYERS[_layer(module)]}) imports {target} ({LAYERS[_layer(target)]})"
        for module, path in MODULES.items()
        for target in _imports(path)
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    graph = {m: {t for t in _imports(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = [stack.pop()]
            while component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert cycles == []


def test_no_module_imports_a_rule_module() -> None:
    """Rules are found by the registry; shared logic lives in family helpers, never in a rule."""
    offenders = sorted(
        f"{module} imports {target}"
        for module, path in MODULES.items()
        for target in _imports(path)
        if _is_rule(target) and target != module
    )
    assert offenders == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The helpers above see imports inside functions too, and name rule modules correctly."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from scanner.pipeline import engine\n    import scanner.api\n", encoding="utf-8")
    assert list(_imports(probe)) == ["scanner.pipeline", "scanner.pipeline.engine", "scanner.api"]
    assert _layer("scanner.integrations.cli") > _layer("scanner.model.values")
    assert _is_rule("scanner.rules.aws.nhi_aws_001_access_key") and not _is_rule("scanner.rules.gcp.iam")
