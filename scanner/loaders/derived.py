"""Attributes Terraform derives at plan time, computed the same way for every input.

Used by the HCL loader and by the Checkov adapter, so both see the same model:
rendered policy documents of data sources, and provider default tags/labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from scanner.iam.policy_document import render
from scanner.model.resource import Resource
from scanner.model.values import OpenMap, PartialJson, Unknown, contains_unknown, is_unknown, iter_blocks


def apply_provider_defaults(res: Resource, provider: Resource | None) -> None:
    """Resolve what plan JSON calls ``tags_all`` (AWS) and ``effective_labels`` (Google)."""
    if provider is None or res.mode != "managed":
        return
    pairs = (("default_tags", "tags", "tags_all"), ("default_labels", None, "effective_labels"))
    for block_or_attr, inner, own in pairs:
        raw = provider.attrs.get(block_or_attr)
        if raw is None:
            continue
        if inner:
            blocks = raw if isinstance(raw, list) else [raw]
            defaults: Any = blocks[0].get(inner, {}) if blocks and isinstance(blocks[0], dict) else raw
        else:
            defaults = raw
        local_key = "tags" if own == "tags_all" else "labels"
        local = res.attrs.get(local_key) or {}
        if is_unknown(defaults) or is_unknown(local):
            res.attrs[own] = Unknown(f"{provider.address}.{block_or_attr}")
        elif isinstance(defaults, dict) and isinstance(local, dict):
            merged = {**defaults, **local}
            res.attrs[own] = OpenMap(merged) if isinstance(local, OpenMap) else merged


def encode(structure: Any, source: str) -> Any:
    """jsonencode of a rendered structure: JSON text, or PartialJson when parts are unknown."""
    if is_unknown(structure):
        return structure  # nothing of it is known
    if contains_unknown(structure):
        return PartialJson(structure, source)
    return json.dumps(structure, separators=(",", ":"))


def _render_google_iam_policy(attrs: dict[str, Any]) -> Any:
    """``data "google_iam_policy"`` -> the ``policy_data`` structure (bindings only)."""
    blocks = attrs.get("binding")
    if is_unknown(blocks):  # dynamic "binding"
        return Unknown("data.google_iam_policy binding")
    bindings = []
    for block in iter_blocks(blocks):
        binding: dict[str, Any] = {"role": block.get("role"), "members": block.get("members")}
        for cond in iter_blocks(block.get("condition")):
            binding["condition"] = {k: v for k, v in cond.items() if v is not None}
        bindings.append(binding)
    return {"bindings": bindings}


def _render_aws_managed_policy(attrs: dict[str, Any]) -> Any:
    """``data "aws_iam_policy"`` by the ARN of an AWS managed policy -> the vendored document.

    Only by ARN: a name can also be a customer managed policy's. A policy that is not vendored
    (scanner/iam/managed.py) stays unknown, never empty.
    """
    from scanner.iam.managed import by_arn  # the catalogue loads only when a scan reads one

    policy = by_arn(attrs.get("arn"))
    if policy is None or not isinstance(policy.document, dict):
        return Unknown("data.aws_iam_policy policy")
    return policy.document


#: Data sources whose rendered attribute is computed, as Terraform does at plan time.
RENDERED: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "aws_iam_policy_document": ("json", render),
    "aws_iam_policy": ("policy", _render_aws_managed_policy),
    "google_iam_policy": ("policy_data", _render_google_iam_policy),
}
