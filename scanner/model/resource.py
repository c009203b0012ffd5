"""The normalised resource model every loader produces and every rule reads."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scanner.model.values import MISSING, get_path, is_known

# Addresses: module.a["x"].module.b[0].aws_iam_role.r[1]
_INDEX_RE = re.compile(r"\[[^\]]*\]")
#: a resource address's own instance key at its end: `["web"]` (JSON-quoted) or `[0]`
_KEY_RE = re.compile(r'\[(?:"((?:[^"\\]|\\.)*)"|(\d+))\]$')


def strip_indexes(address: str) -> str:
    """``module.a[0].aws_iam_role.r["k"]`` -> ``module.a.aws_iam_role.r``."""
    return _INDEX_RE.sub("", address)


@dataclass
class Location:
    file: str
    line: int


@dataclass
class Resource:
    """One Terraform object: a managed resource, data source, output or provider.

    ``mode`` is ``managed``, ``data``, ``output`` or ``provider``.  ``address`` is
    the full Terraform address including module path and instance key.  ``attrs``
    holds three-valued values (see :mod:`scanner.model.values`); nested blocks are lists
    of mappings.  ``refs`` maps a dotted attribute path to the addresses (without
    instance keys, prefixed with the module path) it references.

    ``has_config`` is False when the loader could not see how the resource was
    written (a plan without ``configuration``): ``refs`` is then empty for every
    attribute, so "no reference" proves nothing about where a value came from.
    """

    address: str
    mode: str
    type: str
    name: str
    attrs: dict[str, Any]
    file: str
    line: int
    module: str = ""
    provider: str = ""
    lines: dict[str, int] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)
    comments: list[tuple[int, str]] = field(default_factory=list)
    action: str = "create"
    before: dict[str, Any] | None = None
    sensitive_paths: set[str] = field(default_factory=set)
    has_config: bool = True
    #: an unchanged (``no-op``) plan object: rules read it as context (a role's boundary, its
    #: Deny policies, an owner to inherit) but nothing is reported on it
    context_only: bool = False
    #: attribute path -> (file, line, note) of where values it was made from were written outside
    #: the block: a reusable module's variable default, a module call's argument (HCL only)
    origins: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    #: attribute path -> (configuration address, instance key) of each instance it names with a
    #: known key (``aws_iam_user.u[count.index].name`` in instance 1: ``("aws_iam_user.u", "1")``);
    #: ``refs`` names configuration addresses only (HCL only; None when it names none, which is
    #: most resources: an empty dict each cost 2 MB on bench/hostile.py's 37,000 resources)
    instance_refs: dict[str, list[tuple[str, str]]] | None = None

    @property
    def instance_key(self) -> str | None:
        """``web`` for ``x.r["web"]``, ``0`` for ``x.r[0]``; None for a resource without a key."""
        m = _KEY_RE.search(self.address)
        if m is None:
            return None
        return m.group(2) if m.group(2) is not None else json.loads(f'"{m.group(1)}"')

    @property
    def config_address(self) -> str:
        """The address without instance keys, as references name it."""
        return strip_indexes(self.address)

    def get(self, path: str) -> Any:
        return get_path(self.attrs, path)

    def line_of(self, path: str | None) -> int:
        """Best line for an attribute path: the deepest recorded prefix."""
        return _deepest(self.lines, path) or self.line

    def origins_of(self, path: str | None) -> list[tuple[str, int, str]]:
        """Where the value at ``path`` (or its deepest recorded prefix) was written outside the block."""
        return _deepest(self.origins, path) or []

    def instances_named(self, path: str, address: str) -> set[str] | None:
        """The keys of ``address``'s instances that ``<path>`` names by key; None when it names none
        by key (a key known only at apply, or a reference to the whole resource)."""
        if not self.instance_refs:
            return None
        keys = {
            key
            for p, named in self.instance_refs.items()
            if p == path or p.startswith(path + ".")
            for addr, key in named
            if addr == address
        }
        return keys or None

    def references(self, path: str) -> list[str]:
        found: list[str] = []
        for key, targets in self.refs.items():
            if key == path or key.startswith(path + "."):
                found.extend(targets)
        return found


def _deepest(recorded: dict[str, Any], path: str | None) -> Any:
    """What is recorded for ``path`` or its deepest prefix (``a.0.b``, ``a.0``, ``a``); None if nothing."""
    if path:
        parts = path.split(".")
        for end in range(len(parts), 0, -1):
            found = recorded.get(".".join(parts[:end]))
            if found:
                return found
    return None


def strings_at(resources: Iterable[Resource], path: str) -> set[str]:
    """The values of ``path`` across ``resources`` that are known strings (a name, a branch)."""
    return {value for res in resources if isinstance(value := res.get(path), str)}


@dataclass
class Document:
    """What one loader produced from one input: resources plus load errors."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    #: plan JSON only: objects the plan destroys, as they were (``action == "delete"``); kept out of
    #: the model so that no rule takes them for live resources
    deleted: list[Resource] = field(default_factory=list)
    #: plan JSON only: module call path without instance keys (``module.a.module.b``) -> the
    #: call's ``source`` as written (scanner/loaders/source_map.py); None for every other input
    plan_modules: dict[str, str] | None = None
    #: a .tf directory: what else its evaluation read, ``file:<path>``/``dir:<path>`` -> digest
    #: (scanner/loaders/deps.py), so cached results are reused only while it is unchanged
    depends: dict[str, str] = field(default_factory=dict)
    #: a .tf directory: real paths of the local module directories its configuration calls
    called: list[str] = field(default_factory=list)


@dataclass
class LoadError:
    file: str
    line: int | None
    message: str


# Attributes by which other resources name an identity in Terraform.
_IDENTIFYING_ATTRS = (
    "name",
    "arn",
    "id",
    "email",
    "unique_id",
    "account_id",
    "object_id",
    "client_id",
    "application_id",
    "principal_id",
    "secret_id",
    "node_id",  # a GitHub repository's GraphQL ID, as a branch protection's repository_id may hold it
)


class Model:
    """All resources of one scan, indexed for the cross-resource questions rules ask.

    Resolution is scoped to a Terraform module instance: resources only link to
    resources of the same input file group and module path.
    """

    def __init__(
        self, resources: Iterable[Resource], scopes: dict[int, str] | None = None, deleted: Iterable[Resource] = ()
    ) -> None:
        self.resources: list[Resource] = list(resources)
        #: plan JSON: the objects the plan destroys (``Document.deleted``), apart from the resources and
        #: in no index, so that only a rule that judges deletions looks at them
        self.deleted: list[Resource] = list(deleted)
        self._scope: dict[int, str] = scopes or {}
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_config_address: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._referrers: dict[tuple[str, tuple[str, ...], str], dict[int, list[Resource]]] = {}
        self._by_value: dict[tuple[str, ...], dict[tuple[str, str, str], list[tuple[int, Resource]]]] = {}
        for res in self.resources:
            self._by_type[res.type].append(res)
            self._by_config_address[(self.scope(res), res.config_address)].append(res)

    def scope(self, res: Resource) -> str:
        return self._scope.get(id(res), "")

    def of_type(self, *types: str) -> Iterator[Resource]:
        for t in types:
            yield from self._by_type.get(t, ())

    def by_address(self, near: Resource, config_address: str) -> list[Resource]:
        """Resources with this (index-free) address in ``near``'s scope; those in ``near``'s own
        module instance when there are any (``module.a["x"]``'s key references
        ``module.a.aws_iam_user.u``: its own user, not ``module.a["y"]``'s)."""
        found = self._by_config_address.get((self.scope(near), config_address), [])
        if len(found) > 1 and near.module:
            same = [t for t in found if t.module == near.module]
            if same:
                return same
        return found

    def instances_meant(self, res: Resource, path: str, address: str) -> list[Resource]:
        """The resources at ``address`` that ``res.<path>`` references: of a ``count``/``for_each``
        resource, only the instances it names by key (``x.r[count.index]``, ``x.r["web"]``) when the
        key is known; every instance otherwise."""
        targets = self.by_address(res, address)
        keys = res.instances_named(path, address) if len(targets) > 1 else None
        return targets if keys is None else [t for t in targets if t.instance_key in keys]

    def referenced(self, res: Resource, path: str, *types: str) -> list[Resource]:
        """Resources of ``types`` that ``res.<path>`` points at.

        Uses the recorded references first; falls back to matching the attribute's
        known value against the targets' identifying attributes (plans without
        ``configuration``, or hand-written names instead of references).
        """
        found: list[Resource] = []
        for addr in res.references(path):
            for target in self.instances_meant(res, path, addr):
                if not types or target.type in types:
                    found.append(target)
        if found:
            return _unique(found)
        value = res.get(path)
        wanted = {v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v}
        if not wanted:
            return []
        # Indexed by value: scanning every target of the types on each call made large plans quadratic.
        index = self._values_of(types)
        hits: dict[int, tuple[int, Resource]] = {}
        for v in wanted:
            for pos, target in index.get((self.scope(res), res.module, v), ()):
                if id(target) not in hits or pos < hits[id(target)][0]:
                    hits[id(target)] = (pos, target)
        return [target for _, target in sorted(hits.values(), key=lambda hit: hit[0])]

    def _values_of(self, types: tuple[str, ...]) -> dict[tuple[str, str, str], list[tuple[int, Resource]]]:
        """(scope, module, identifying value) -> targets of ``types`` in ``of_type`` order."""
        index = self._by_value.get(types)
        if index is None:
            index = defaultdict(list)
            for pos, target in enumerate(self.of_type(*types)):
                values: set[str] = set()
                for attr in _IDENTIFYING_ATTRS:
                    v = get_path(target.attrs, attr)
                    if isinstance(v, str) and v and v not in values:
                        values.add(v)
                        index[(self.scope(target), target.module, v)].append((pos, target))
            self._by_value[types] = index
        return index

    def referrers(self, target: Resource, path: str, *types: str) -> list[Resource]:
        """Resources of ``types`` whose ``<path>`` points at ``target``."""
        # One pass over the candidates per question, then a lookup per target. Scanning every
        # candidate for every target made large plans quadratic (bench/README.md).
        key = (path, types, target.type)
        index = self._referrers.get(key)
        if index is None:
            index = defaultdict(list)
            for r in self.of_type(*types):
                for t in self.referenced(r, path, target.type):
                    if self.scope(r) == self.scope(t):
                        index[id(t)].append(r)
            self._referrers[key] = index
        return list(index.get(id(target), ()))


def _unique(items: list[Resource]) -> list[Resource]:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


__all__ = ["MISSING", "Document", "LoadError", "Location", "Model", "Resource", "is_known", "strip_indexes"]
