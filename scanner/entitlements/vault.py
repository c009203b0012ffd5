"""Vault: the policies an AppRole role's tokens or a token get, and what those policies allow.

``token_policies`` (and the deprecated ``policies``) of a ``vault_approle_auth_backend_role``,
``policies`` of a ``vault_token``, plus ``default`` unless ``token_no_default_policy`` /
``no_default_policy`` is set, as Vault does: ``vault policy ci``. A ``vault_policy`` of that name
in the scan adds its paths, one line per capability: ``read on secret/data/ci/*``. CIDR bounds
say from where the credentials work: ``trust login from [10.0.0.0/8]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.entitlements.grants import value_text, values_text
from scanner.model.values import as_list, is_missing, is_unknown, iter_blocks

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

TYPES = ("vault_approle_auth_backend_role", "vault_token")
#: (policies attributes, "no default policy" attribute, CIDR attributes) per type
_SHAPE = {
    "vault_approle_auth_backend_role": (
        ("token_policies", "policies"),
        "token_no_default_policy",
        ("secret_id_bound_cidrs", "token_bound_cidrs"),
    ),
    "vault_token": (("policies",), "no_default_policy", ()),
}
_PATH_RE = re.compile(r'\bpath\s+"((?:[^"\\]|\\.)*)"\s*\{')
_CAPABILITIES_RE = re.compile(r"\bcapabilities\s*=\s*\[([^\]]*)\]")
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def lines(res: Resource, ctx: Context) -> Iterator[str]:
    attrs, no_default, cidr_attrs = _SHAPE[res.type]
    names: list[Any] = []
    for attr in attrs:
        value = res.get(attr)
        names.extend([value] if is_unknown(value) else as_list(value))
    if res.get(no_default) is not True:
        names.append("default")
    # as text: a plan can hold anything there (a map where a list belongs), and maps are unhashable
    for name in dict.fromkeys(n if isinstance(n, str) or is_unknown(n) else value_text(n) for n in names):
        yield f"vault policy {value_text(name)}"
        if isinstance(name, str):
            for policy in _policies_named(name, res, ctx):
                yield from _policy_lines(policy, ctx)
    for attr in cidr_attrs:
        value = res.get(attr)
        if not is_missing(value):
            yield f"trust {attr.split('_bound_')[0].replace('_', ' ')} from {values_text(as_list(value) or ['(none)'])}"


def _policies_named(name: str, near: Resource, ctx: Context) -> list[Resource]:
    return [
        p
        for p in ctx.model.of_type("vault_policy")
        if p.mode == "managed" and ctx.model.scope(p) == ctx.model.scope(near) and p.get("name") == name
    ]


def _policy_lines(policy: Resource, ctx: Context) -> Iterator[str]:
    text = policy.get("policy")
    if is_unknown(text):
        docs = [d for d in ctx.model.referenced(policy, "policy", "vault_policy_document") if d.mode == "data"]
        if len(docs) == 1:
            for rule in iter_blocks(docs[0].get("rule")):
                for capability in as_list(rule.get("capabilities")):
                    yield f"{value_text(capability)} on {value_text(rule.get('path'))}"
            return
        yield f"paths {value_text(text)}"
        return
    if not isinstance(text, str):
        return
    parsed = _parse(text)
    if parsed is None:
        yield f"paths of vault policy {value_text(policy.get('name'))} (unknown: not a policy Vault can read)"
        return
    for path, capabilities in parsed:
        for capability in capabilities:
            yield f"{capability} on {path}"


def _parse(text: str) -> list[tuple[str, list[str]]] | None:
    """``path "..." { capabilities = [...] }`` blocks of a policy in HCL, or its JSON form."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            return None
        paths = doc.get("path") if isinstance(doc, Mapping) else None
        if not isinstance(paths, Mapping):
            return None
        return [
            (str(p), [str(c) for c in as_list(body.get("capabilities"))])
            for p, body in paths.items()
            if isinstance(body, Mapping)
        ]
    out = []
    pos = 0
    while (match := _PATH_RE.search(text, pos)) is not None:
        end = _block_end(text, match.end())
        if end is None:
            return None
        body = text[match.end() : end]
        caps = _CAPABILITIES_RE.search(body)
        out.append((match.group(1), _STRING_RE.findall(caps.group(1)) if caps else []))
        pos = end + 1  # past the block: every character is read once, however blocks nest
    return out


def _block_end(text: str, start: int) -> int | None:
    """Where the ``{ ... }`` block whose opening brace ends just before ``start`` closes."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None
