"""Render ``data "aws_iam_policy_document"`` blocks into IAM policy JSON structures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scanner.model.values import Unknown, as_list, iter_blocks


def _principals(blocks: Any) -> Any:
    out: dict[str, Any] = {}
    for block in iter_blocks(blocks):
        ptype, ids = block.get("type"), block.get("identifiers")
        if isinstance(ptype, Unknown):
            return Unknown("principals")
        if ptype == "*":
            return "*"
        existing = as_list(out.get(str(ptype)))
        out[str(ptype)] = existing + (as_list(ids) if not isinstance(ids, Unknown) else [ids])
    return out


def _conditions(blocks: Any) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for block in iter_blocks(blocks):
        test, var = block.get("test"), block.get("variable")
        if isinstance(test, Unknown) or isinstance(var, Unknown):
            out.setdefault("Unknown", {})[str(len(out))] = Unknown("condition")
            continue
        out.setdefault(str(test), {})[str(var)] = block.get("values")
    return out


def _statement(block: Mapping[str, Any]) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": block.get("effect") or "Allow"}
    if block.get("sid") is not None:
        stmt["Sid"] = block["sid"]
    for src, dst in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if src in block and block[src] is not None:
            stmt[dst] = block[src]
    if "principals" in block:
        stmt["Principal"] = _principals(block["principals"])
    if "not_principals" in block:
        stmt["NotPrincipal"] = _principals(block["not_principals"])
    if "condition" in block:
        stmt["Condition"] = _conditions(block["condition"])
    return stmt


def _statements_of(doc: Any) -> list[Any] | None:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError:
            return None
    value = getattr(doc, "value", doc)
    if isinstance(value, Mapping):
        return as_list(value.get("Statement"))
    return None


def render(attrs: Mapping[str, Any]) -> Any:
    """The ``json`` attribute of an aws_iam_policy_document, as a Python structure.

    Returns a structure that may contain :class:`Unknown` leaves; the caller
    jsonencodes it. The documents are merged as the AWS provider merges them: ``source_json``,
    then each of ``source_policy_documents``, then the ``statement`` blocks, then each of
    ``override_policy_documents``, then ``override_json``. A statement with a ``Sid`` replaces
    the earlier statement with that ``Sid`` in place; any other statement is appended.

    A document that cannot be read becomes an unknown statement. An unknown *override* may
    also replace every earlier statement that has a ``Sid``, so those become unknown too: what
    the policy will say there cannot be known.
    """
    statements: list[Any] = []
    by_sid: dict[str, int] = {}

    def add(stmt: Any) -> None:
        sid = stmt.get("Sid") if isinstance(stmt, Mapping) else None
        if isinstance(sid, str) and sid and sid in by_sid:
            statements[by_sid[sid]] = stmt
            return
        if isinstance(sid, str) and sid:
            by_sid[sid] = len(statements)
        statements.append(stmt)

    def merge(docs: Any, what: str) -> None:
        for doc in as_list(docs):
            found = _statements_of(doc)
            if found is None:
                if what == "override":
                    for sid, index in by_sid.items():
                        statements[index] = Unknown(f"statement {sid!r}, which an unknown override may replace")
                statements.append(Unknown(f"{what} policy document"))
                continue
            for stmt in found:
                add(stmt)

    merge(attrs.get("source_json"), "source")
    merge(attrs.get("source_policy_documents"), "source")
    for block in iter_blocks(attrs.get("statement")):
        add(_statement(block))
    if isinstance(attrs.get("statement"), Unknown):
        statements.append(Unknown("dynamic statement"))
    merge(attrs.get("override_policy_documents"), "override")
    merge(attrs.get("override_json"), "override")
    return {"Version": attrs.get("version") or "2012-10-17", "Statement": statements}
