"""approve(): record approvals in the ledger, each bound to the grants of its identity as scanned now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from scanner.api.options import STDIN, Inputs, ScanError, ScanOptions, Source, configs_of, inputs_of, today_of
from scanner.api.scanning import scan
from scanner.policy.config import Configs, ticket_matches
from scanner.policy.ledger import Ledger, LedgerEntry, LedgerError


@dataclass
class ApproveResult:
    """What :func:`approve` recorded."""

    ledger: Ledger
    #: the entries written, in the order the addresses were given
    entries: list[LedgerEntry]
    #: True when the ledger file did not exist before
    created: bool = False


def approve(
    inputs: Inputs,
    addresses: Sequence[str],
    approver: str,
    ticket: str,
    *,
    requester: str | None = None,
    expires: date | None = None,
    options: ScanOptions | None = None,
) -> ApproveResult:
    """Record approvals of identities in the ledger, each bound to its grants as scanned now.

    ``inputs`` are scanned as :func:`scan` does (unchanged plan objects included); each address
    must name one identity, credential or secret in them. The ledger is ``options.ledger``, else
    the nearest ``nhi-guard.approvals.toml`` above the first input, else a new one next to the
    config file that governs it, else at the root of its git repository, else in its directory.
    Nothing is written unless every address, the approver, the ticket and the date are valid.
    """
    from scanner.model.report import UNKNOWN_VALUE
    from scanner.policy.people import placeholder_reason, same_person

    inputs = inputs_of(inputs)
    options = options or ScanOptions()
    today = options.today or today_of()
    approver, ticket = approver.strip(), ticket.strip()
    requester = requester.strip() if requester and requester.strip() else None
    if not addresses:
        raise ScanError("approve: name at least one identity address")
    if not approver or not ticket:
        raise ScanError("approve: --by (the approver) and --ticket (the change ticket) must not be empty")
    reason = placeholder_reason(approver)
    if reason:
        raise ScanError(f"approve: --by '{approver}': {reason}; name the person who approved the change")
    if expires is not None and expires <= today:
        raise ScanError(f"approve: --expires {expires.isoformat()} is not after today ({today.isoformat()})")
    result = scan(inputs, replace(options, ledger=False, reviews=None, include_unchanged=True, baseline=None,
                                  cache_dir=None, fail_on="none"))  # fmt: skip
    report = result.report
    if report.errors:
        first = report.errors[0]
        where = f"{first.file}:{first.line}" if first.line else first.file
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise ScanError(f"approve: cannot bind approvals to grants read from inputs with errors: {where}: "
                        f"{first.message}{more}")  # fmt: skip
    configs = configs_of(options)
    aliases = result.config.aliases
    if requester and same_person(approver, requester, aliases):
        raise ScanError(f"approve: the approver ({approver}) is the requester ({requester}); someone else must approve")
    for name in result.config.approval.provisioner:
        if same_person(approver, name, aliases) or (requester and same_person(requester, name, aliases)):
            raise ScanError(f"approve: {name} is the provisioner (config [approval] provisioner): it may not "
                            f"approve or request the change")  # fmt: skip
    ledger = _approval_ledger(options, inputs, configs)
    created = not ledger.path.exists()
    governed = [i for i in report.inventory if i.kind != "grant"]
    entries: list[LedgerEntry] = []
    for address in dict.fromkeys(a.strip() for a in addresses):
        matches = [i for i in governed if i.resource == address]
        if not matches:
            raise ScanError(_unknown_address(address, inputs, report.inventory))
        unnamed = sorted({i.scope for i in matches if i.scope.startswith("<")})
        if unnamed:  # a scan never looks up a ledger for stdin: the entry would approve nothing
            raise ScanError(f"approve: {address} is read from {unnamed[0]}, which no ledger governs; "
                            "approve it in the file or directory that declares it")  # fmt: skip
        modules = sorted({ledger.module_of(i.scope) for i in matches})
        if len(modules) > 1:
            raise ScanError(f"approve: {address} is in several modules ({', '.join(modules)}); "
                            "approve it with the one module directory as PATH")  # fmt: skip
        item = matches[0]
        pattern = configs.for_input(item.file).config.ticket_pattern
        if pattern and not ticket_matches(pattern, ticket):
            raise ScanError(f"approve: --ticket '{ticket}' does not match the config's ticket_pattern `{pattern}`")
        tagged = item.requested_by if not requester and item.requested_by not in (None, UNKNOWN_VALUE) else None
        if tagged and same_person(approver, tagged, aliases):  # --requester was checked above
            raise ScanError(f"approve: the approver ({approver}) is the requester of {address} ({tagged}, its "
                            "requested_by); someone else must approve")  # fmt: skip
        for name in result.config.approval.provisioner:
            if tagged and same_person(tagged, name, aliases):
                raise ScanError(f"approve: {name} is the provisioner (config [approval] provisioner): it may not "
                                f"approve or request the change ({address}'s requested_by)")  # fmt: skip
        entries.append(
            LedgerEntry(
                module=modules[0],
                address=address,
                type=item.resource_type,
                approved_by=approver,
                ticket=ticket,
                requested_by=requester or tagged,
                approved_on=today,
                expires=expires,
                digest=item.grants_digest,
                grants=tuple(item.grants or ()),
            )
        )
    for entry in entries:
        ledger.put(entry)
    try:
        ledger.write()
    except OSError as exc:
        raise ScanError(f"approve: cannot write {ledger.path}: {exc.strerror or exc}") from None
    return ApproveResult(ledger, entries, created)


def _approval_ledger(options: ScanOptions, inputs: Sequence[str | Source], configs: Configs) -> Ledger:
    from scanner.policy.ledger import LEDGER_NAME, discover_ledger, load_ledger

    if isinstance(options.ledger, Ledger):
        return options.ledger
    try:
        if options.ledger:
            return load_ledger(options.ledger)
        first = next((i for i in inputs if isinstance(i, str) and i != STDIN), None)
        start = Path(first) if first else Path.cwd()
        found = discover_ledger(start)
        if found is not None:
            return load_ledger(found)
    except LedgerError as exc:
        raise ScanError(str(exc)) from None
    config_file = configs.for_input(str(start)).path
    folder = Path(config_file).parent if config_file else _repository_root(start)
    return Ledger(folder / LEDGER_NAME)


def _repository_root(start: Path) -> Path:
    here = start.resolve()
    here = here if here.is_dir() else here.parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _unknown_address(address: str, inputs: Sequence[str | Source], inventory: list[Any]) -> str:
    import difflib

    where = ", ".join(i if isinstance(i, str) else i.name for i in inputs)
    grant = next((i for i in inventory if i.resource == address), None)
    if grant is not None:
        return (f"approve: {address} in {where} is a grant, not an identity: approve the identity it grants to "
                "(its grants are part of that identity's approval)")  # fmt: skip
    known = sorted({i.resource for i in inventory if i.kind != "grant"})
    close = difflib.get_close_matches(address, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    listed = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    return (f"approve: no identity, credential or secret {address} in {where}{hint} "
            f"({'there are: ' + listed if known else 'it holds none'})")  # fmt: skip
