"""The NHI inventory: every identity, credential, secret and grant the scan saw, with its metadata."""

from __future__ import annotations

from collections.abc import Callable

from scanner.entitlements import entitlements_of
from scanner.model.nhi_types import nhi_type
from scanner.model.report import UNKNOWN_VALUE, ApprovalRecord, ApproverRecord, InventoryItem, WaivedRule
from scanner.model.resource import Resource
from scanner.model.values import is_missing, is_unknown
from scanner.pipeline.findings import display_path
from scanner.policy.context import Context
from scanner.policy.metadata import FIELDS
from scanner.policy.people import same_person
from scanner.policy.redact import config_digest
from scanner.rules.governance.approval import (
    approval_of,
    check_approver,
    grants_change,
    known_name,
    ledger_scope,
    requesters,
)


def _field(value: object) -> str | None:
    if is_unknown(value):
        return UNKNOWN_VALUE
    if is_missing(value):
        return None
    return str(value)


def inventory(
    resources: list[Resource],
    context_of: Callable[[Resource], Context],
    secrets: set[str],
    waived: dict[tuple[str, str], list[WaivedRule]] | None = None,
) -> list[InventoryItem]:
    """``waived``: (file, address) -> the waivers that suppressed its findings."""
    items = []
    for res in resources:
        spec = nhi_type(res.type)
        if spec is None or res.mode != "managed" or res.context_only:
            continue
        # a grant has no metadata, grants or approval of its own: no context needed for it
        ctx = context_of(res) if spec.kind != "grant" else None
        meta = ctx.meta(res) if ctx is not None and spec.governed else None
        granted = entitlements_of(res, ctx) if ctx is not None else None
        values = {name: _field(meta.get(name)) if meta else None for name in FIELDS}
        if spec.expiry and values["expires"] in (None, UNKNOWN_VALUE):
            # a known native end date beats an unknown `expires` tag (`tags = var.tags`)
            natives = [res.get(a) for a in spec.expiry if not is_missing(res.get(a))]
            known = next((v for v in natives if not is_unknown(v)), None)
            if known is not None or values["expires"] is None:
                values["expires"] = _field(known if known is not None else next(iter(natives), None))
        record = _approval(res, ctx) if ctx is not None else None
        if ctx is not None and record is not None and record.source == "ledger":  # the ledger entry is the approval
            approval = approval_of(res, ctx)
            values["approved_by"], values["change_ticket"] = approval.approver, approval.ticket
            values["requested_by"] = _field(approval.requester)
        file = display_path(res.file)
        items.append(
            InventoryItem(
                resource=res.address,
                resource_type=res.type,
                kind=spec.kind,
                file=file,
                line=res.line,
                action=res.action,
                digest=config_digest(res.attrs, secrets, res.sensitive_paths),
                grants=list(granted.grants) if granted is not None else None,
                grants_digest=granted.digest if granted is not None else None,
                grants_unknown=granted.unknown if granted is not None else 0,
                approval=record,
                waived=list((waived or {}).get((file, res.address), ())),
                **values,
            )
        )
        if ctx is not None:
            items[-1]._scope = ledger_scope(res, ctx)
    return items


def _approval(res: Resource, ctx: Context) -> ApprovalRecord:
    """Where the approval is recorded, who gave it and what the reviews say of them, whether it holds."""
    approval = approval_of(res, ctx)
    name = known_name(approval.approver)
    approver = None
    if name is not None:
        asking = requesters(approval, ctx)
        own = any(same_person(name, r, ctx.config.aliases) for r in asking)
        checked = check_approver(name, ctx, asking)
        review = checked.review if checked is not None else None
        approver = ApproverRecord(
            name=name,
            verified=None if checked is None else (checked.verified and not own),
            state=None if checked is None else ("requester" if own else checked.state),
            login=review.login if review else None,
            review_id=review.id if review else None,
            submitted_at=review.submitted_at if review else None,
            commit_id=review.commit_id if review else None,
        )
    entry = approval.entry
    return ApprovalRecord(
        source=approval.source,
        ledger=approval.where if entry is not None else None,
        approver=approver,
        approved_on=entry.approved_on.isoformat() if entry is not None else None,
        expires=entry.expires.isoformat() if entry is not None and entry.expires else None,
        approved_grants_digest=entry.digest if entry is not None else None,
        grants_match=grants_change(res, ctx, entry) is None if entry is not None else None,
        expired=bool(entry is not None and entry.expires and entry.expires < ctx.today),
        provisioner=list(ctx.config.approval.provisioner),
        rules_disabled=_disabled_approval_rules(ctx),
    )


def _disabled_approval_rules(ctx: Context) -> list[str]:
    """The NHI_APR_* rules the config (and --select/--ignore) leave out for this identity."""
    from scanner.pipeline.checking import ENABLED_RULES
    from scanner.rules import all_rules

    enabled = ctx.memo.get(ENABLED_RULES)
    if enabled is None:
        return []
    return sorted(r.id for r in all_rules() if r.id.startswith("NHI_APR_") and r.id not in enabled)
