"""Build the scanner's :class:`Model` from what Checkov gives a check.

HCL: every block of the module is a vertex of ``check.graph`` (a rustworkx graph
whose payloads are ``(index, attributes)``); ``config_`` holds the block as
Checkov parsed it, and edges, labelled with the attribute path, say which block
references which. Edges also reveal what Checkov silently dropped: an attribute
that reaches a variable without a default (directly or through locals) is
unknown, even where Checkov rendered part of it.

Plan JSON: Checkov drops ``after_unknown`` unless an environment variable is set
before parsing, and never keeps ``configuration`` references or sensitivity. The
plan file is named in the vertex, so it is loaded with the scanner's own plan
loader instead, which gives the same model as ``nhi-guard scan plan.json``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.integrations.checkov.conf import attributes, first_int
from scanner.loaders.derived import RENDERED, apply_provider_defaults, encode
from scanner.loaders.plan import is_plan, load_plan
from scanner.model.report import Report
from scanner.model.resource import Document, Model, Resource, strip_indexes
from scanner.model.values import Unknown
from scanner.policy.waivers import marker_comments

_DATA_REF = re.compile(r"^((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*)data\.([\w-]+)\.([\w-]+)\.([\w-]+)$")


@dataclass
class _Vertex:
    index: int
    block_type: str
    attrs: dict[str, Any]
    resource: Resource | None = None
    unresolved: bool = False
    edges: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class BuiltModel:
    model: Model
    by_address: dict[str, list[Resource]]
    secrets: set[str]
    #: the entry point's report of this model (scanner/integrations/checkov/registration.py), once made
    report: Report | None = None

    def documents(self) -> list[tuple[str, Document]]:
        """The model's resources as the loaders would hand them over: one document per scope."""
        grouped: dict[str, Document] = {}
        for res in self.model.resources:
            grouped.setdefault(self.model.scope(res), Document()).resources.append(res)
        return list(grouped.items())

    def find(self, address: str, scanned_file: str = "") -> Resource | None:
        """The resource at ``address`` in the file Checkov is scanning.

        One Checkov run over ``infra/`` sees many modules, and the same address can
        exist in several of them; the scanned file tells them apart.
        """
        candidates = self.by_address.get(address, [])
        if len(candidates) > 1 and scanned_file:
            suffix = scanned_file.replace("\\", "/")
            matching = [r for r in candidates if r.file.replace("\\", "/").endswith(suffix)]
            candidates = matching or candidates
        return candidates[0] if candidates else None


def _payloads(graph: Any) -> Iterable[tuple[int, dict[str, Any]]]:
    for i, payload in enumerate(graph.nodes()):
        if isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[1], dict):
            yield int(payload[0]), payload[1]
        elif isinstance(payload, dict):
            yield i, payload


def _edges(graph: Any) -> Iterable[tuple[int, int, str]]:
    for source, target, data in graph.weighted_edge_list():
        data = data if isinstance(data, dict) else {}
        yield int(data.get("source", source)), int(data.get("target", target)), str(data.get("label", ""))


def _body(attrs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(type, name, block body) out of a vertex's ``config_``."""
    config = attrs.get("config_") or {}
    if not isinstance(config, dict) or not config:
        return "", "", {}
    rtype, inner = next(iter(config.items()))
    if attrs.get("block_type_") in ("resource", "data") and isinstance(inner, dict) and inner:
        name, body = next(iter(inner.items()))
        return str(rtype), str(name), body if isinstance(body, dict) else {}
    return str(rtype), str(rtype), inner if isinstance(inner, dict) else {}


def _data_address(address: str, rtype: str) -> str:
    if address.startswith("data.") or ".data." in address:
        return address
    head, sep, tail = address.rpartition(f"{rtype}.")
    return f"{head}data.{rtype}.{tail}" if sep else f"data.{address}"


def _set_unknown(attrs: dict[str, Any], label: str, source: str) -> None:
    """Mark the attribute at an edge label (``tags`` or ``tags.owner``) unknown, as far as it can be found."""
    steps = label.split(".")
    current: Any = attrs
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(current, list):
            if step.isdigit() and int(step) < len(current):
                if last:
                    current[int(step)] = Unknown(source)
                    return
                current = current[int(step)]
                continue
            if len(current) == 1:
                current = current[0]
            else:
                return
        if not isinstance(current, dict) or step not in current:
            return
        if last or isinstance(current[step], Unknown):
            current[step] = Unknown(source)
            return
        current = current[step]


def build_from_graph(graph: Any) -> BuiltModel:
    vertices: dict[int, _Vertex] = {}
    for index, attrs in _payloads(graph):
        vertices[index] = _Vertex(index, str(attrs.get("block_type_", "")), attrs)
    for source, target, label in _edges(graph):
        if source in vertices:
            vertices[source].edges.append((target, label))
    _mark_unresolved(vertices)
    resources: list[Resource] = []
    scopes: dict[int, str] = {}
    providers: dict[tuple[str, str], Resource] = {}  # (module directory, provider key)
    lines_cache: dict[str, list[str]] = {}
    for vertex in vertices.values():
        res = _resource(vertex, lines_cache)
        if res is None:
            continue
        vertex.resource = res
        resources.append(res)
        scopes[id(res)] = str(Path(res.file).parent)
        if res.mode == "provider":
            providers[(scopes[id(res)], res.address.removeprefix("provider."))] = res
    for vertex in vertices.values():
        res = vertex.resource
        if res is None:
            continue
        for target, label in vertex.edges:
            other = vertices.get(target)
            if other is None:
                continue
            label = label.removeprefix("[cross-variable] ")
            key = label.split(".references_")[0] if label != "references_" else "references_"
            if other.resource is not None and other.resource.mode in ("managed", "data"):
                res.refs.setdefault(key, []).append(strip_indexes(other.resource.address))
                rendered = RENDERED.get(other.resource.type) if other.resource.mode == "data" else None
                if rendered is not None and label and "." not in label:
                    # Checkov substitutes the data block's own config; Terraform would render it.
                    res.attrs[label] = encode(rendered[1](other.resource.attrs), other.resource.address)
            elif other.unresolved and label:
                _set_unknown(res.attrs, label, f"{label} (from an input without a value)")
    by_address: dict[str, list[Resource]] = {}
    for res in resources:
        by_address.setdefault(res.address, []).append(res)
    for res in resources:
        scope = scopes[id(res)]
        res.attrs = {k: _render_data_refs(v, res, by_address, scope, scopes) for k, v in res.attrs.items()}
        if res.mode == "managed":
            apply_provider_defaults(res, providers.get((scope, res.provider)))
    return BuiltModel(Model(resources, scopes), by_address, set())


def _mark_unresolved(vertices: dict[int, _Vertex]) -> None:
    """Variables without a default, module outputs, and locals that depend on them."""
    for v in vertices.values():
        if v.block_type == "variable":
            _, _, body = _body(v.attrs)
            v.unresolved = "default" not in body
        elif v.block_type == "module":
            v.unresolved = True
    changed = True
    while changed:  # locals depending on unresolved inputs, to a fixed point
        changed = False
        for v in vertices.values():
            if v.block_type == "locals" and not v.unresolved and any(
                vertices[t].unresolved for t, _ in v.edges if t in vertices
            ):
                v.unresolved = changed = True


def _resource(vertex: _Vertex, lines_cache: dict[str, list[str]]) -> Resource | None:
    attrs = vertex.attrs
    block_type = vertex.block_type
    if block_type not in ("resource", "data", "provider"):
        return None
    rtype, name, body = _body(attrs)
    if not rtype:
        return None
    file = str(attrs.get("file_path_", ""))
    line = first_int(body.get("__start_line__"), body.get("start_line"), attrs.get("__start_line__"))
    end = first_int(body.get("__end_line__"), body.get("end_line"), attrs.get("__end_line__"))
    values = attributes(body)
    address = str(attrs.get("__address__") or body.get("__address__") or f"{rtype}.{name}")
    if block_type == "provider":
        alias = values.get("alias")
        key = rtype + (f".{alias}" if isinstance(alias, str) and alias != "default" else "")
        return Resource(address=f"provider.{key}", mode="provider", type=rtype,
                        name=alias if isinstance(alias, str) else "default", attrs=values, file=file, line=line)
    mode = "managed" if block_type == "resource" else "data"
    if mode == "data":
        address = _data_address(address, rtype)
    module = address[: address.rfind(f"{'data.' if mode == 'data' else ''}{rtype}.")].rstrip(".")
    provider_address = str(body.get("__provider_address__") or attrs.get("__provider_address__") or "")
    provider = values.pop("provider", None)
    provider_key = provider if isinstance(provider, str) else provider_address or rtype.split("_", 1)[0]
    provider_key = provider_key.removesuffix(".default")
    for meta in ("count", "for_each", "depends_on", "lifecycle", "provisioner", "connection"):
        values.pop(meta, None)
    comments: list[tuple[int, str]] = []
    if file and not file.endswith(".json"):
        if file not in lines_cache:
            try:
                lines_cache[file] = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines_cache[file] = []
        comments = marker_comments(lines_cache[file], line, end)
    return Resource(address=address, mode=mode, type=rtype, name=name, attrs=values, file=file, line=line,
                    module=module, provider=provider_key, comments=comments)


def _render_data_refs(value: Any, res: Resource, by_address: dict[str, list[Resource]], scope: str,
                      scopes: dict[int, str]) -> Any:
    """``"data.aws_iam_policy_document.x.json"`` -> the rendered policy, as the HCL loader does."""
    if isinstance(value, Unknown):
        m = _DATA_REF.match(value.source)
        if m and m.group(2) in RENDERED and RENDERED[m.group(2)][0] == m.group(4):
            prefix = m.group(1) or (f"{res.module}." if res.module else "")
            targets = by_address.get(f"{prefix}data.{m.group(2)}.{m.group(3)}", [])
            target = next((t for t in targets if scopes.get(id(t)) == scope), None)
            if target is not None:
                return encode(RENDERED[m.group(2)][1](target.attrs), target.address)
        return value
    if isinstance(value, dict):
        return {k: _render_data_refs(v, res, by_address, scope, scopes) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_data_refs(v, res, by_address, scope, scopes) for v in value]
    return value


def build_from_plan(path: str) -> BuiltModel | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError, RecursionError):
        return None
    if not is_plan(data):
        return None
    doc = load_plan(data, text, path, include_unchanged=False)
    scopes = {id(r): path for r in doc.resources}
    by_address: dict[str, list[Resource]] = {}
    for r in doc.resources:
        by_address.setdefault(r.address, []).append(r)
    return BuiltModel(Model(doc.resources, scopes), by_address, set(doc.secrets))


_CACHE: dict[Any, tuple[Any, BuiltModel | None]] = {}


def model_for(graph: Any, conf: dict[str, Any]) -> BuiltModel | None:
    """The model this check's resource belongs to (cached per graph or plan file)."""
    plan_file = conf.get("__file__")
    if isinstance(plan_file, list):
        plan_file = plan_file[0] if plan_file else None
    if isinstance(plan_file, str) and plan_file.endswith(".json") and os.path.isfile(plan_file):
        key: Any = ("plan", plan_file, os.path.getmtime(plan_file))
        if key not in _CACHE:
            _CACHE[key] = (None, build_from_plan(plan_file))
        built = _CACHE[key][1]
        if built is not None:
            return built
    if graph is None:
        return None
    key = ("graph", id(graph))
    cached = _CACHE.get(key)
    if cached is None or cached[0] is not graph:  # keep the graph alive so its id is not reused
        cached = (graph, build_from_graph(graph))
        _CACHE[key] = cached
    return cached[1]
