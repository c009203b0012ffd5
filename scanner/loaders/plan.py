"""Load ``terraform show -json`` plan output (format_version 0.x and 1.x)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from typing import Any

from scanner.model.resource import Document, LoadError, Resource, strip_indexes
from scanner.model.values import Unknown
from scanner.policy.redact import NOT_SECRET_KEY

_ADDRESS_RE = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"')
#: delete: loaded apart (``Document.deleted``); forget: a `removed` block with destroy = false, the object stays
_SKIP_ACTIONS = {("delete",), ("forget",)}


def is_plan(data: Any) -> bool:
    return isinstance(data, Mapping) and (
        "resource_changes" in data or ("format_version" in data and "planned_values" in data)
    )


class _Lines:
    """Map resource addresses to the line of their ``resource_changes`` entry."""

    def __init__(self, text: str) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        start = text.find('"resource_changes"')
        self.first: dict[str, int] = {}
        for m in _ADDRESS_RE.finditer(text, max(start, 0)):
            self.first.setdefault(m.group(1).replace('\\"', '"'), m.start())
        self.outputs_at = text.find('"output_changes"')

    def line(self, address: str) -> int:
        pos = self.first.get(address)
        return 1 if pos is None else bisect.bisect_left(self.newlines, pos) + 1

    def line_at(self, pos: int) -> int:
        return 1 if pos < 0 else bisect.bisect_left(self.newlines, pos) + 1


def _overlay(after: Any, unknown: Any, source: str) -> Any:
    """Replace parts of ``after`` marked in ``after_unknown`` by :class:`Unknown`."""
    if unknown is True:
        return Unknown(f"{source} (known after apply)")
    if isinstance(unknown, Mapping) and isinstance(after, Mapping):
        out: dict[str, Any] | None = None
        for key, mark in unknown.items():
            if mark is False or not _marks_unknown(mark):
                continue  # Terraform mirrors every nested object with false/{}: nothing to replace
            if out is None:
                out = dict(after)  # copied only where something is unknown: the rest is shared
            out[key] = _overlay(after.get(key), mark, f"{source}.{key}")
        return after if out is None else out
    if isinstance(unknown, list) and isinstance(after, list):
        return [_overlay(v, unknown[i] if i < len(unknown) else False, f"{source}[{i}]") for i, v in enumerate(after)]
    if isinstance(unknown, list) and after is None and any(unknown):
        return [_overlay(None, m, f"{source}[{i}]") for i, m in enumerate(unknown)]
    return after


def _marks_unknown(mark: Any) -> bool:
    """Some part of an ``after_unknown`` subtree is ``true``."""
    if mark is True:
        return True
    if isinstance(mark, Mapping):
        return any(_marks_unknown(m) for m in mark.values())
    if isinstance(mark, list):
        return any(_marks_unknown(m) for m in mark)
    return False


def _collect_sensitive(value: Any, mask: Any, secrets: set[str], paths: set[str]) -> None:
    """Collect the values ``mask`` (``after_sensitive`` or ``before_sensitive``) marks sensitive.

    Terraform writes a mask shaped like the value. A hand-made or damaged plan may not: ``[true]``
    for a list of three, a list mask for a map, ``"yes"`` for ``true``. Where the shapes disagree and
    the mask marks anything, the whole attribute is treated as sensitive: a guess that masks too
    much costs a word in the report, one that masks too little prints a secret.
    """
    if not isinstance(mask, Mapping) or not isinstance(value, Mapping):
        if _marks(mask) and value is not None:  # the whole object marked, or a mask of another shape
            _all_strings(value, secrets)
            paths.add("")
        return
    for key, sub in mask.items():
        attr = value.get(key)
        if _walk_mask(attr, sub, str(key), secrets, paths):
            _all_strings(attr, secrets)
            paths.add(str(key))


def _walk_mask(value: Any, mask: Any, path: str, secrets: set[str], paths: set[str]) -> bool:
    """Collect what ``mask`` marks in ``value``; True when their shapes disagree where it marks something."""
    if mask is False or mask is None or value is None:
        return False
    if mask is True:
        paths.add(path)
        _all_strings(value, secrets)
        return False
    if isinstance(mask, Mapping) and isinstance(value, Mapping):
        return any(_walk_mask(value.get(k), sub, f"{path}.{k}", secrets, paths) for k, sub in list(mask.items()))
    if isinstance(mask, list) and isinstance(value, list):
        if len(mask) < len(value) and _marks(mask):  # elements without a mark: which of them is secret?
            return True
        return any(_walk_mask(value[i], sub, f"{path}.{i}", secrets, paths) for i, sub in enumerate(mask[: len(value)]))
    return _marks(mask)  # a map mask on a list, `1` or "true" instead of true: in doubt


def _marks(mask: Any) -> bool:
    """Some part of a sensitivity mask says "sensitive" (``true``, or anything but false/null/0/empty)."""
    if isinstance(mask, Mapping):
        return any(_marks(m) for m in mask.values())
    if isinstance(mask, list):
        return any(_marks(m) for m in mask)
    return mask is not False and mask is not None and mask != 0 and mask != ""


def _all_strings(value: Any, out: set[str]) -> None:
    if isinstance(value, str) and value:
        out.add(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.add(str(value))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not (isinstance(v, str) and NOT_SECRET_KEY.match(str(k))):  # `DB_USER` in a sensitive map
                _all_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _all_strings(v, out)


def _map(value: Any) -> Mapping[str, Any]:
    """``value`` when it is an object, else an empty one: a hand-edited plan may hold anything."""
    return value if isinstance(value, Mapping) else {}


def _config_modules(root: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Module config by index-free module path ("" for the root module)."""
    out: dict[str, Mapping[str, Any]] = {}
    stack: list[tuple[str, Mapping[str, Any]]] = [("", _map(root))]
    while stack:
        path, mod = stack.pop()
        out[path] = mod
        for name, call in _map(mod.get("module_calls")).items():
            if isinstance(call, Mapping) and isinstance(call.get("module"), Mapping):
                stack.append((f"{path}.module.{name}" if path else f"module.{name}", call["module"]))
    return out


def _module_sources(root: Mapping[str, Any]) -> dict[str, str]:
    """``module.a.module.b`` -> the ``source`` of that module call, as written."""
    out: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, mod = stack.pop()
        calls = mod.get("module_calls") if isinstance(mod, Mapping) else None
        for name, call in (calls if isinstance(calls, Mapping) else {}).items():
            if not isinstance(call, Mapping):
                continue
            here = f"{path}.module.{name}" if path else f"module.{name}"
            if isinstance(call.get("source"), str):
                out[here] = call["source"]
            stack.append((here, call.get("module")))
    return out


def _expression_refs(expr: Any, path: str, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(expr, Mapping):
        refs = expr.get("references")
        if isinstance(refs, list):
            # Terraform lists `x.r[0].a`, `x.r[0]` and `x.r`; the model's refs carry no instance keys.
            out[path] = list(dict.fromkeys(prefix + strip_indexes(str(r)) for r in refs))
            return
        for key, sub in expr.items():
            _expression_refs(sub, f"{path}.{key}" if path else str(key), prefix, out)
    elif isinstance(expr, list):
        for i, sub in enumerate(expr):
            _expression_refs(sub, f"{path}.{i}", prefix, out)


def load_plan(
    data: Mapping[str, Any],
    text: str,
    file: str,
    include_unchanged: bool = False,
    changes: Iterable[Any] | None = None,
) -> Document:
    """The plan's resources. ``changes``, when given, stands for ``data["resource_changes"]``:
    entries decoded one at a time (:mod:`scanner.loaders.plan_stream`)."""
    doc = Document()
    lines = _Lines(text)
    configuration = data.get("configuration") if isinstance(data.get("configuration"), Mapping) else None
    modules = _config_modules(configuration.get("root_module") or {}) if configuration else {}
    doc.plan_modules = _module_sources(configuration.get("root_module") or {}) if configuration else {}
    version = str(data.get("format_version", ""))
    if re.fullmatch(r"\d{1,4}(\.\d{1,4}){0,2}", version) and int(version.split(".")[0]) > 1:
        doc.errors.append(
            LoadError(
                file,
                None,
                f"plan format_version {version} is newer than nhi-guard knows (0.x and 1.x); "
                "scanned as 1.x, results may be wrong",
            )
        )
    if data.get("errored") is True:
        doc.errors.append(
            LoadError(
                file,
                None,
                "plan is marked errored: Terraform could not finish planning; the resources it did plan were scanned",
            )
        )
    if changes is None:
        changes = data.get("resource_changes")
        if changes is None and "resource_changes" not in data:
            changes = []
    if not isinstance(changes, Iterable) or isinstance(changes, (str, Mapping)):
        doc.errors.append(LoadError(file, None, "resource_changes is not a list"))
        changes = []
    for rc in changes:
        if not isinstance(rc, Mapping) or not isinstance(rc.get("change"), Mapping):
            doc.errors.append(LoadError(file, None, "a resource_changes entry has no change object"))
            continue
        if _actions(rc["change"]) == ("delete",):
            gone = _deleted(rc, lines, file, doc)
            if gone is not None:
                doc.deleted.append(gone)
            continue
        res = _resource(rc, lines, file, modules, doc, include_unchanged)
        if res is not None:
            doc.resources.append(res)
    doc.resources.extend(_outputs(data, configuration, lines, file, doc))
    doc.resources.extend(_providers(configuration, text, lines, file))
    return doc


def _resource(
    rc: Mapping[str, Any],
    lines: _Lines,
    file: str,
    modules: Mapping[str, Mapping[str, Any]],
    doc: Document,
    include_unchanged: bool,
) -> Resource | None:
    change = rc["change"]
    actions = _actions(change)
    if actions in _SKIP_ACTIONS:
        return None
    importing = isinstance(change.get("importing"), Mapping)  # an `import` block: new to this configuration
    # unchanged and not asked for: loaded anyway, as context for the resources that do change
    context_only = actions == ("no-op",) and not include_unchanged and not importing
    address = str(rc.get("address", ""))
    module = str(rc.get("module_address") or "")
    after = change.get("after")
    attrs_raw = after if isinstance(after, Mapping) else {}
    unknown = change.get("after_unknown")
    unknown = unknown if isinstance(unknown, Mapping) else {}  # Terraform writes an object; anything else: none
    attrs = _overlay(dict(attrs_raw), unknown, address)
    sensitive_paths: set[str] = set()
    _collect_sensitive(attrs_raw, change.get("after_sensitive"), doc.secrets, sensitive_paths)
    _collect_sensitive(change.get("before"), change.get("before_sensitive"), doc.secrets, set())
    if not isinstance(after, Mapping):  # only delete and forget plan no object; a hand-edited plan can
        what = "null" if after is None else "not an object"
        doc.errors.append(
            LoadError(
                file,
                lines.line(address),
                f"{address or 'a resource_changes entry'}: change.after is {what} for a "
                f"{'/'.join(map(str, actions)) or 'create'} action, so nothing about it is known; not scanned",
            )
        )
        return None
    mode = "data" if rc.get("mode") == "data" else "managed"
    rtype, name = str(rc.get("type", "")), str(rc.get("name", ""))
    refs: dict[str, list[str]] = {}
    config = _find_config(modules, module, mode, rtype, name)
    if config is not None:
        expressions = _map(config.get("expressions"))
        prefix = strip_indexes(module) + "." if module else ""
        _expression_refs(expressions, "", prefix, refs)
        # Computed but not written by the author: a provider default, i.e. not set.
        for key, mark in unknown.items():
            if mark is True and key not in expressions and key not in ("tags_all", "id", "arn"):
                attrs.pop(key, None)
    provider_key = str(config.get("provider_config_key", "")) if config else ""
    action = "replace" if set(actions) == {"create", "delete"} else (actions[0] if actions else "create")
    if importing and action == "no-op":
        action = "import"
    # a no-op's before is its after: context-only objects keep one copy
    before = change.get("before") if isinstance(change.get("before"), Mapping) and not context_only else None
    return Resource(
        address=address,
        mode=mode,
        type=rtype,
        name=name,
        attrs=attrs,
        file=file,
        line=lines.line(address),
        module=module,
        provider=provider_key.split(":")[-1],
        refs=refs,
        action=action,
        before=dict(before) if before else None,
        sensitive_paths=sensitive_paths,
        has_config=config is not None,
        context_only=context_only,
    )


def _actions(change: Mapping[str, Any]) -> tuple[str, ...]:
    raw = change.get("actions")  # a list of strings; a hand-edited plan may hold anything
    return tuple(a for a in raw if isinstance(a, str)) if isinstance(raw, list) else ()


def _deleted(rc: Mapping[str, Any], lines: _Lines, file: str, doc: Document) -> Resource | None:
    """A managed object the plan destroys, as it was before: never part of the model (nothing else may
    take it for a live resource), judged only by the rules about what a deletion takes away
    (``Rule.judges_deletes``)."""
    change = rc["change"]
    before = change.get("before")
    if rc.get("mode") == "data" or not isinstance(before, Mapping):
        return None
    sensitive_paths: set[str] = set()
    _collect_sensitive(before, change.get("before_sensitive"), doc.secrets, sensitive_paths)
    address = str(rc.get("address", ""))
    return Resource(
        address=address,
        mode="managed",
        type=str(rc.get("type", "")),
        name=str(rc.get("name", "")),
        attrs=dict(before),
        file=file,
        line=lines.line(address),
        module=str(rc.get("module_address") or ""),
        action="delete",
        before=dict(before),
        sensitive_paths=sensitive_paths,
    )


def _find_config(
    modules: Mapping[str, Mapping[str, Any]], module: str, mode: str, rtype: str, name: str
) -> Mapping[str, Any] | None:
    mod = modules.get(strip_indexes(module))
    if not mod:
        return None
    want = f"{rtype}.{name}" if mode == "managed" else f"data.{rtype}.{name}"
    resources = mod.get("resources")
    for cfg in resources if isinstance(resources, list) else []:
        if isinstance(cfg, Mapping) and cfg.get("address") == want:
            return cfg
    return None


def _outputs(
    data: Mapping[str, Any], configuration: Mapping[str, Any] | None, lines: _Lines, file: str, doc: Document
) -> list[Resource]:
    out: list[Resource] = []
    changes = data.get("output_changes")
    if not isinstance(changes, Mapping):
        return out
    config_outputs = _map(_map(_map(configuration).get("root_module")).get("outputs"))
    for name, change in changes.items():
        if not isinstance(change, Mapping) or tuple(change.get("actions") or ()) == ("delete",):
            continue
        value: Any = change.get("after")
        if change.get("after_unknown") is True:
            value = Unknown(f"output.{name} (known after apply)")
        sensitive = _marks(change.get("after_sensitive"))  # a structure on an output: in doubt, all of it
        cfg = config_outputs.get(name) if isinstance(config_outputs, Mapping) else None
        refs: dict[str, list[str]] = {}
        if isinstance(cfg, Mapping):
            sensitive = sensitive or cfg.get("sensitive") is True
            _expression_refs({"value": cfg.get("expression") or {}}, "", "", refs)
        if sensitive:
            _all_strings(change.get("after"), doc.secrets)
        attrs = {"value": value, "sensitive": sensitive}
        line = lines.line_at(lines.outputs_at)
        out.append(
            Resource(
                address=f"output.{name}",
                mode="output",
                type="output",
                name=str(name),
                attrs=attrs,
                file=file,
                line=line,
                refs=refs,
                has_config=isinstance(cfg, Mapping),
            )
        )
    return out


def _config_value(expr: Any, source: str) -> Any:
    """A configuration expression as a value: constant, Unknown, or nested blocks (lists of dicts)."""
    if isinstance(expr, list):
        return [_config_block(item, source) for item in expr if isinstance(item, Mapping)]
    if not isinstance(expr, Mapping):
        return Unknown(source)
    if "references" in expr or not expr:  # a reference, or a function call Terraform cannot evaluate
        return Unknown(source)
    if "constant_value" in expr:
        return expr["constant_value"]
    return [_config_block(expr, source)]  # a single nested block


def _config_block(block: Mapping[str, Any], source: str) -> dict[str, Any]:
    return {str(k): _config_value(v, f"{source}.{k}") for k, v in block.items()}


def _providers(configuration: Mapping[str, Any] | None, text: str, lines: _Lines, file: str) -> list[Resource]:
    """Provider blocks from ``configuration.provider_config``, shaped as the HCL loader makes them."""
    configs = (configuration or {}).get("provider_config")
    if not isinstance(configs, Mapping):
        return []
    section = text.find('"provider_config"')
    out: list[Resource] = []
    for key, pc in configs.items():
        if not isinstance(pc, Mapping) or not isinstance(pc.get("expressions"), Mapping):
            continue  # no provider block written: nothing configured
        name = str(pc.get("name") or str(key).split(":")[-1].split(".")[0])
        alias = pc.get("alias")
        module = str(pc.get("module_address") or "")
        address = f"provider.{name}" + (f".{alias}" if alias else "")
        if module:
            address = f"{module}.{address}"
        refs: dict[str, list[str]] = {}
        _expression_refs(pc["expressions"], "", strip_indexes(module) + "." if module else "", refs)
        pos = text.find(f'"{key}"', section) if section >= 0 else -1
        out.append(
            Resource(
                address=address,
                mode="provider",
                type=name,
                name=str(alias) if alias else "default",
                attrs=_config_block(pc["expressions"], address),
                file=file,
                line=lines.line_at(pos),
                module=module,
                refs=refs,
            )
        )
    return out
