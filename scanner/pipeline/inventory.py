"""The NHI inventory: every identity, credential, secret and grant the scan saw, with its metadata."""

from __future__ import annotations

from collections.abc import Callable

from scanner.model.nhi_types import nhi_type
from scanner.model.report import UNKNOWN_VALUE, InventoryItem
from scanner.model.resource import Resource
from scanner.model.values import is_missing, is_unknown
from scanner.pipeline.findings import display_path
from scanner.policy.context import Context
from scanner.policy.metadata import FIELDS
from scanner.policy.redact import config_digest


def _field(value: object) -> str | None:
    if is_unknown(value):
        return UNKNOWN_VALUE
    if is_missing(value):
        return None
    return str(value)


def inventory(
    resources: list[Resource], context_of: Callable[[Resource], Context], secrets: set[str]
) -> list[InventoryItem]:
    items = []
    for res in resources:
        spec = nhi_type(res.type)
        if spec is None or res.mode != "managed" or res.context_only:
            continue
        meta = context_of(res).meta(res) if spec.governed else None
        values = {name: _field(meta.get(name)) if meta else None for name in FIELDS}
        if spec.expiry and values["expires"] in (None, UNKNOWN_VALUE):
            # a known native end date beats an unknown `expires` tag (`tags = var.tags`)
            natives = [res.get(a) for a in spec.expiry if not is_missing(res.get(a))]
            known = next((v for v in natives if not is_unknown(v)), None)
            if known is not None or values["expires"] is None:
                values["expires"] = _field(known if known is not None else next(iter(natives), None))
        items.append(
            InventoryItem(
                resource=res.address,
                resource_type=res.type,
                kind=spec.kind,
                file=display_path(res.file),
                line=res.line,
                action=res.action,
                digest=config_digest(res.attrs, secrets, res.sensitive_paths),
                **values,
            )
        )
    return items
