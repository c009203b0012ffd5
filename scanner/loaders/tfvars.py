"""Values of a root module's input variables: tfvars files, ``--var-file`` and ``--var``.

Terraform's order, later wins (https://developer.hashicorp.com/terraform/language/values/variables):

1. the variable's ``default``;
2. ``terraform.tfvars``, then ``terraform.tfvars.json``;
3. ``*.auto.tfvars`` and ``*.auto.tfvars.json``, in lexical order of their file names;
4. ``-var-file`` and ``-var`` options, in the order given. nhi-guard takes every ``--var-file``
   first, then every ``--var`` (click does not keep the order between two options).

``TF_VAR_*`` environment variables are not read: a scan's result must not depend on the
environment of the machine that runs it (and the report cache could not see it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lark import Tree

from scanner.loaders.discover import is_tfvars, split_var
from scanner.loaders.hcl_eval import Evaluator, _children
from scanner.loaders.hcl_parse import parse_body, parse_expression
from scanner.model.resource import LoadError


@dataclass(frozen=True)
class RawVar:
    """A ``--var NAME=VALUE`` value: text, read by the variable's declared type when it is used."""

    text: str


@dataclass
class Assignment:
    value: Any
    file: str
    line: int | None


def auto_loaded(names: Iterable[str]) -> list[str]:
    """The file names Terraform loads by itself from a root module directory, in its order."""
    present = set(names)
    first = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in present]
    auto = sorted(n for n in present if n.endswith((".auto.tfvars", ".auto.tfvars.json")))
    return first + auto


class NoReferences:
    """tfvars hold constant values: a reference there is an error in Terraform ("Variables not
    allowed"). Its value is unknown here, and the reference is recorded so that the caller reports
    the error: a silently unknown value would hide the findings the value was meant to raise. The
    error never names the reference: ``pw = hunter2`` (quotes forgotten) is a secret, not a name."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def resolve(self, path: list[Any], source: str) -> Any:
        from scanner.model.values import Unknown

        self.used.append(source)
        return Unknown(source)


def _evaluate(tree: Tree) -> tuple[Any, str | None]:
    """The value of a constant expression, and why it is not one (a reference, a function call), if so."""
    resolver = NoReferences()
    value = Evaluator(resolver, parse_expression).eval(tree)
    if resolver.used:
        return value, _NOT_ALLOWED
    if any(node.data == "function_call" for node in tree.iter_subtrees()):
        return value, _NO_CALLS  # the value is kept: the error says the scan is incomplete
    return value, None


_NOT_ALLOWED = "only literal values are allowed here, as in Terraform (\"Variables not allowed\")"
_NO_CALLS = "only literal values are allowed here, as in Terraform (\"Functions may not be called here\")"


def read_file(file: str, text: str, errors: list[LoadError]) -> dict[str, Assignment]:
    """The assignments of one ``.tfvars`` or ``.tfvars.json`` file."""
    out: dict[str, Assignment] = {}
    if file.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(LoadError(file, exc.lineno, f"variables file: invalid JSON: {exc.msg}"))
            return out
        except (ValueError, RecursionError):
            errors.append(LoadError(file, None, "variables file: JSON that cannot be read"))
            return out
        if not isinstance(data, dict):
            errors.append(LoadError(file, 1, "variables file: the JSON is not an object of variable values"))
            return out
        for name, value in data.items():
            out[str(name)] = Assignment(value, file, None)
        return out
    body, problems = parse_body(text, file)
    last = text.count("\n") + (0 if text.endswith("\n") else 1)
    for e in problems:  # past the last line: the closing brace parse_body adds met an open value
        if e.line is not None and e.line > last:
            errors.append(LoadError(file, last, "variables file: HCL syntax error: the file ends inside a value"))
        else:
            errors.append(LoadError(e.file, e.line, e.message.replace("HCL", "variables file: HCL", 1)))
    if body is None:
        return out
    for node in _children(body):
        if node.data != "attribute":
            line = getattr(node.meta, "line", None)  # the parse put one line in front (parse_body)
            errors.append(
                LoadError(
                    file,
                    line - 1 if line else None,
                    "variables file: a block is not allowed here; only NAME = VALUE lines",
                )
            )
            continue
        name = str(_children(node)[0].children[0])
        value, problem = _evaluate(_children(node)[-1])
        if problem:
            message = f"variables file: the value of {name} is not a literal value; {problem}"
            errors.append(LoadError(file, node.meta.line - 1, message))
        out[name] = Assignment(value, file, node.meta.line - 1)
    return out


def assignments(files: list[tuple[str, str]], var_args: list[str], errors: list[LoadError]) -> dict[str, Assignment]:
    """Every assignment, later files and ``--var`` values overriding earlier ones."""
    out: dict[str, Assignment] = {}
    for file, text in files:
        out.update(read_file(file, text, errors))
    for arg in var_args:
        split = split_var(arg)
        if split is not None:
            out[split[0]] = Assignment(RawVar(split[1]), "--var", None)
    return out


_PRIMITIVE = {"string", "number", "bool"}


def convert_raw(raw: RawVar, type_expr: Tree | None) -> Any:
    """A ``--var`` value as Terraform reads it: literal text for a primitive type (converted to a
    number or bool when the type says so), an HCL expression for a collection or object type.
    Raises ValueError (whose message never holds the value) when that expression does not parse."""
    kind = _type_name(type_expr)
    if kind in _PRIMITIVE or kind is None:
        if kind == "number":
            try:
                return int(raw.text)
            except ValueError:
                try:
                    return float(raw.text)
                except ValueError:
                    raise ValueError("the value is not a number, as a number variable needs") from None
        if kind == "bool":
            if raw.text not in ("true", "false", "1", "0"):
                raise ValueError("the value is not true or false, as a bool variable needs")
            return raw.text in ("true", "1")
        return raw.text
    tree = parse_expression(raw.text)
    if tree is None:
        raise ValueError(f"the value is not an HCL expression, as a {kind} variable needs")
    value, problem = _evaluate(tree)
    if problem:
        raise ValueError(f"the value is not a literal value; {problem}")
    return value


def _type_name(node: Tree | None) -> str | None:
    """``string`` for ``type = string``, ``list`` for ``type = list(string)``; None when absent."""
    if node is None:
        return None
    for sub in node.iter_subtrees_topdown():
        if sub.data == "identifier":
            return str(sub.children[0])
    return None


def tfvars_in(directory: str) -> list[str]:
    """Names of the variables files in a directory (any ``*.tfvars``/``*.tfvars.json``)."""
    try:
        return sorted(n for n in os.listdir(directory) if is_tfvars(n))
    except OSError:
        return []
