"""Copy a tree's .py files with every docstring blanked (line numbers kept), to measure code
duplication without the rule docs' examples (ARCHITECTURE.md, "Duplication").

    python3 bench/strip_docstrings.py scanner /tmp/scanner-code && (cd /tmp/scanner-code && duplicates)
"""

from __future__ import annotations

import ast
import pathlib
import sys


def main(src: pathlib.Path, dst: pathlib.Path) -> None:
    for path in src.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
                first = node.body[0]
                value = first.value if isinstance(first, ast.Expr) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and first.end_lineno is not None:
                    for i in range(first.lineno - 1, first.end_lineno):
                        lines[i] = ""
        out = dst / path.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
