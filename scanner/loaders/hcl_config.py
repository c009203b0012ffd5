"""The blocks of one Terraform module, sorted by kind: what every instance of it is evaluated from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from scanner.loaders.hcl_eval import _children
from scanner.loaders.hcl_parse import RawBlock
from scanner.model.resource import LoadError


@dataclass
class Chunk:
    """A piece of HCL source: a whole .tf file or one Markdown code block."""

    file: str
    text: str
    line_offset: int = 0


class ModuleConfig:
    """One Terraform module: every block of every file in one directory (or of one chat answer).

    Parsed once; evaluated once per instance of the module (scanner/loaders/hcl.py).
    """

    def __init__(self, blocks: list[RawBlock], sources: dict[str, list[str]], directory: str | None = None) -> None:
        self.sources = sources
        self.directory = directory
        self.errors: list[LoadError] = []
        self.variables: dict[str, RawBlock] = {}
        self.locals: dict[str, tuple[Tree, RawBlock]] = {}
        #: the line each local is written on (for messages about its evaluation)
        self.local_lines: dict[str, int] = {}
        self.blocks: dict[tuple[str, str, str], RawBlock] = {}
        self.providers: list[RawBlock] = []
        self.outputs: list[RawBlock] = []
        self.calls: dict[str, RawBlock] = {}
        #: a ``provider`` block, or a ``backend`` or ``cloud`` block in ``terraform {}``: only a
        #: root module has them (README.md, "Reusable modules and root modules")
        self.root_marker = False
        for b in blocks:
            if b.kind == "variable" and b.labels:
                self.variables[b.labels[0]] = b
            elif b.kind == "locals":
                for attr in _children(b.body):
                    if attr.data == "attribute":
                        self.locals[attr_name(attr)] = (_children(attr)[-1], b)
                        self.local_lines[attr_name(attr)] = attr.meta.line + b.line_offset
            elif b.kind in ("resource", "data") and len(b.labels) >= 2:
                key = (b.kind, b.labels[0], b.labels[1])
                if key in self.blocks:
                    first = self.blocks[key]
                    self.errors.append(
                        LoadError(
                            b.file,
                            b.line,
                            f'duplicate {b.kind} "{key[1]}" "{key[2]}" '
                            f"(first defined at {first.file}:{first.line}); the first one "
                            "was scanned",
                        )
                    )
                    continue
                self.blocks[key] = b
            elif b.kind == "provider" and b.labels:
                self.providers.append(b)
                self.root_marker = True
            elif b.kind == "output" and b.labels:
                self.outputs.append(b)
            elif b.kind == "module" and b.labels:
                if b.labels[0] in self.calls:
                    first = self.calls[b.labels[0]]
                    self.errors.append(
                        LoadError(
                            b.file,
                            b.line,
                            f'duplicate module "{b.labels[0]}" (first defined '
                            f"at {first.file}:{first.line}); the first one was scanned",
                        )
                    )
                    continue
                self.calls[b.labels[0]] = b
            elif b.kind == "terraform" and any(kind in ("backend", "cloud") for kind, _ in nested_blocks(b.body)):
                self.root_marker = True


def attr_name(node: Tree) -> str:
    return label_text(node.children[0])


def label_text(node: Any) -> str:
    if isinstance(node, Tree):
        if node.data == "string":
            return "".join(str(p.children[0]) for p in node.children if isinstance(p, Tree))
        return "".join(str(c) for c in node.children if not isinstance(c, Tree))
    return str(node)


def attr_node(body: Tree, name: str) -> Tree | None:
    """The attribute ``name`` of a block body (its line is ``meta.line``); None when it is not set."""
    for c in _children(body):
        if c.data == "attribute" and attr_name(c) == name:
            return c
    return None


def attr_expr(body: Tree, name: str) -> Tree | None:
    """The expression of attribute ``name`` in a block body; None when it is not set."""
    node = attr_node(body, name)
    return None if node is None else _children(node)[-1]


def nested_blocks(body: Tree) -> list[tuple[str, Tree]]:
    """(type, body) of the blocks directly inside a body."""
    out = []
    for node in _children(body):
        if node.data == "block":
            parts = [c for c in node.children if isinstance(c, Tree) and c.data not in ("new_line_or_comment", "body")]
            inner = next(c for c in node.children if isinstance(c, Tree) and c.data == "body")
            out.append((label_text(parts[0]), inner))
    return out


def traversal_text(node: Tree) -> str:
    """``aws.us`` for the expression ``aws.us``."""
    return "".join(str(tok) for tok in node.scan_values(lambda t: isinstance(t, Token) and t.type in ("NAME", "DOT")))


def string_literal(node: Tree | None) -> str | None:
    """The text of a plain quoted string without interpolation; None otherwise."""
    while node is not None and node.data in ("expr_term", "object_elem_key") and len(_children(node)) == 1:
        node = _children(node)[0]
    if node is None or node.data != "string":
        return None
    parts = [p for p in node.children if isinstance(p, Tree)]
    if any(not isinstance(p.children[0], Token) or p.children[0].type != "STRING_CHARS" for p in parts):
        return None
    return "".join(str(p.children[0]) for p in parts)
