"""Kubernetes: the roles bound to a service account, and what their rules allow.

Every ``kubernetes_role_binding`` and ``kubernetes_cluster_role_binding`` (and ``_v1``) with a
subject that is the service account (``kind = "ServiceAccount"`` with its name and namespace, a
reference to it, or the ``system:serviceaccount:<ns>:<name>`` user and ``system:serviceaccounts``
groups that include it) gives a line ``ClusterRole view in namespace ci`` (or ``cluster-wide``).
When the role is in the scan its rules follow, one line per verb and resource:
``get apps/deployments in namespace ci``, ``get secrets/db-creds cluster-wide``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from scanner.entitlements.grants import value_text
from scanner.model.values import MISSING, Unknown, as_list, is_missing, iter_blocks

if TYPE_CHECKING:
    from scanner.model.resource import Resource
    from scanner.policy.context import Context

TYPES = ("kubernetes_service_account", "kubernetes_service_account_v1")
_ROLE_BINDINGS = ("kubernetes_role_binding", "kubernetes_role_binding_v1")
_CLUSTER_BINDINGS = ("kubernetes_cluster_role_binding", "kubernetes_cluster_role_binding_v1")
_ROLES = ("kubernetes_role", "kubernetes_role_v1")
_CLUSTER_ROLES = ("kubernetes_cluster_role", "kubernetes_cluster_role_v1")


def lines(account: Resource, ctx: Context) -> Iterator[str]:
    name = account.get("metadata.name")
    namespace = _namespace(account)
    for binding in _candidates(account, name, ctx):
        if not any(_names(s, account, name, namespace, binding) for s in iter_blocks(binding.get("subject"))):
            continue
        cluster_wide = binding.type in _CLUSTER_BINDINGS
        where = "cluster-wide" if cluster_wide else f"in namespace {value_text(_namespace(binding))}"
        ref = binding.get("role_ref")
        ref = ref[0] if isinstance(ref, list) and ref else ref
        kind = ref.get("kind") if isinstance(ref, Mapping) else MISSING
        role_name = ref.get("name") if isinstance(ref, Mapping) else MISSING
        yield f"{value_text(kind)} {value_text(role_name)} {where}"
        role = _role(binding, kind, role_name, ctx)
        if role is None:
            continue
        for rule in iter_blocks(role.get("rule")):
            yield from _rule_lines(rule, where)
        if isinstance(role.get("rule"), Unknown):
            yield f"rules {value_text(role.get('rule'))} {where}"


def _candidates(account: Resource, name: Any, ctx: Context) -> list[Resource]:
    """Bindings that may name the account: those with a subject of its name (or the service-account
    user and group names), and those whose subject names are computed. Indexed once per scan: asking
    every binding about every account made large scans quadratic."""
    key = ("entitlements.k8s.bindings",)
    index: dict[tuple[str, str | None], list[Resource]] | None = ctx.memo.get(key)
    if index is None:
        index = ctx.memo[key] = {}
        for binding in ctx.model.of_type(*_ROLE_BINDINGS, *_CLUSTER_BINDINGS):
            if binding.mode != "managed":
                continue
            scope = ctx.model.scope(binding)
            names = {s.get("name") for s in iter_blocks(binding.get("subject"))}
            for subject in {n if isinstance(n, str) and not _GENERIC.match(n) else None for n in names}:
                index.setdefault((scope, subject), []).append(binding)
    scope = ctx.model.scope(account)
    found = [*index.get((scope, None), ())]
    if isinstance(name, str):
        found += index.get((scope, name), ())
    return list({id(b): b for b in found}.values())


#: subject names that can name any service account: checked against every one
_GENERIC = re.compile(r"^system:serviceaccounts?(:|$)")


def _namespace(res: Resource) -> Any:
    value = res.get("metadata.namespace")
    return "default" if is_missing(value) else value


def _names(subject: Mapping[str, Any], account: Resource, name: Any, namespace: Any, binding: Resource) -> bool:
    kind, sname = subject.get("kind"), subject.get("name")
    sns = subject.get("namespace")
    if isinstance(sname, Unknown):
        return account.config_address in sname.source or any(
            ref.startswith(account.config_address) for ref in binding.references("subject")
        )
    if not isinstance(name, str) or not isinstance(sname, str):
        return False
    if kind == "ServiceAccount":
        return sname == name and (sns if isinstance(sns, str) else "default") == namespace
    if kind == "User":
        return sname == f"system:serviceaccount:{namespace}:{name}"
    if kind == "Group":
        return sname == "system:serviceaccounts" or sname == f"system:serviceaccounts:{namespace}"
    return False


def _role(binding: Resource, kind: Any, name: Any, ctx: Context) -> Resource | None:
    types = _CLUSTER_ROLES if kind == "ClusterRole" else _ROLES
    found = [r for r in ctx.model.referenced(binding, "role_ref", *types) if r.mode == "managed"]
    if not found and isinstance(name, str):
        found = [
            r
            for r in ctx.model.of_type(*types)
            if r.mode == "managed"
            and ctx.model.scope(r) == ctx.model.scope(binding)
            and r.get("metadata.name") == name
            and (kind == "ClusterRole" or _namespace(r) == _namespace(binding))
        ]
    return found[0] if len(found) == 1 else None


def _rule_lines(rule: Mapping[str, Any], where: str) -> Iterator[str]:
    verbs = as_list(rule.get("verbs")) or [MISSING]
    urls = as_list(rule.get("non_resource_urls"))
    for verb in verbs:
        for url in urls:
            yield f"{value_text(verb)} nonResourceURL {value_text(url)} {where}"
        if urls and is_missing(rule.get("resources")):
            continue
        for group in as_list(rule.get("api_groups")) or [""]:
            for resource in as_list(rule.get("resources")) or [MISSING]:
                kind = value_text(resource)
                if isinstance(group, str) and group:
                    kind = f"{group}/{kind}"
                elif not isinstance(group, str):
                    kind = f"{value_text(group)}/{kind}"
                names = as_list(rule.get("resource_names"))
                for target in [f"{kind}/{value_text(n)}" for n in names] or [kind]:
                    yield f"{value_text(verb)} {target} {where}"
