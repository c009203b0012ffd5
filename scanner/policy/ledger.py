"""The approval ledger: a committed file that binds each approval to the grants it approved.

``nhi-guard approve`` writes it; ``nhi-guard scan`` reads it. It is TOML, one ``[[approval]]``
table per identity, sorted by module and address, one grant per line, so a pull request's diff
shows exactly which identity was approved for what:

.. code-block:: toml

    version = 1

    [[approval]]
    module = "infra"
    address = "aws_iam_role.etl"
    type = "aws_iam_role"
    approved_by = "bob"
    ticket = "CHG-1234"
    requested_by = "alice"
    approved_on = 2026-11-01
    expires = 2027-05-01
    digest = "sha256:..."
    grants = [
      "s3:GetObject on arn:aws:s3:::raw-bucket/*",
      "trust sts:AssumeRole by Service glue.amazonaws.com",
    ]

``module`` is where the identity is declared, relative to the ledger's directory with ``/``:
the module directory of a ``.tf`` file, or the plan or chat answer file itself. With ``address``
it names one identity even when several modules use the same address.

Discovery follows the config file's rule: the nearest ``nhi-guard.approvals.toml`` in the
scanned path's directory or above. ``--ledger`` overrides it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scanner.util.paths import display_path

LEDGER_NAME = "nhi-guard.approvals.toml"
VERSION = 1
_TF_SUFFIXES = (".tf", ".tf.json")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_HEADER_RE = re.compile(r"^[ \t]*\[\[[ \t]*approval[ \t]*\]\]", re.MULTILINE)
#: keys of an entry: name -> (required, type, what the error message says it must be)
_KEYS: dict[str, tuple[bool, type | tuple[type, ...], str]] = {
    "module": (True, str, "a path relative to the ledger, '.' for its own directory"),
    "address": (True, str, "a Terraform address"),
    "type": (False, str, "a resource type"),
    "approved_by": (True, str, "the approver's name or login"),
    "ticket": (True, str, "the change ticket"),
    "requested_by": (False, str, "the requester's name or login"),
    "approved_on": (True, date, "a date like 2026-11-01"),
    "expires": (False, date, "a date like 2027-05-01"),
    "digest": (False, str, "sha256:<64 hex digits>, as nhi-guard approve writes it"),
    "grants": (False, list, "a list of grant lines"),
}


class LedgerError(Exception):
    """A ledger that cannot be used; the message names the file, the line and the key."""


@dataclass(frozen=True)
class LedgerEntry:
    module: str
    address: str
    approved_by: str
    ticket: str
    approved_on: date
    type: str = ""
    requested_by: str | None = None
    expires: date | None = None
    #: None for a type that has no grants of its own (a secret): the approval is not bound to grants
    digest: str | None = None
    grants: tuple[str, ...] = ()
    #: line of the entry's ``[[approval]]`` in the ledger (0 for an entry not read from a file)
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.module, self.address


@dataclass
class Ledger:
    path: Path
    entries: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    #: the file's bytes as read (b"" for a ledger not on disk yet): evidence records hash them
    raw: bytes = b""

    @property
    def directory(self) -> Path:
        return self.path.resolve().parent

    def module_of(self, file: str) -> str:
        """``module`` for an identity scanned in ``file``: a ``.tf`` file's directory, a root module
        directory as it is, else the file (plan, chat answer), relative to the ledger's directory with ``/``."""
        is_tf = file.endswith(_TF_SUFFIXES) and not os.path.isdir(file)  # a root directory `a.tf/` is one
        where = Path(file).parent if is_tf else Path(file)
        try:  # both sides with links resolved: a workspace reached through a link is the same place
            rel = os.path.relpath(os.path.realpath(where), self.directory)
        except ValueError:  # another drive on Windows
            rel = os.path.realpath(where)
        return rel.replace(os.sep, "/")

    def entry_for(self, file: str, address: str) -> LedgerEntry | None:
        return self.entries.get((self.module_of(file), address))

    def put(self, entry: LedgerEntry) -> None:
        self.entries[entry.key] = replace(entry, line=0)

    def render(self) -> str:
        out = [
            "# nhi-guard approval ledger: one entry per approved identity, sorted by module and address.",
            "# Written by `nhi-guard approve` (docs/approval.md). An entry approves the grants listed in it:",
            "# when the identity's grants change, the approval no longer counts until it is given again.",
            f"version = {VERSION}",
        ]
        for key in sorted(self.entries):
            e = self.entries[key]
            out += ["", "[[approval]]", f"module = {toml_string(e.module)}", f"address = {toml_string(e.address)}"]
            if e.type:
                out.append(f"type = {toml_string(e.type)}")
            out += [f"approved_by = {toml_string(e.approved_by)}", f"ticket = {toml_string(e.ticket)}"]
            if e.requested_by:
                out.append(f"requested_by = {toml_string(e.requested_by)}")
            out.append(f"approved_on = {e.approved_on.isoformat()}")
            if e.expires:
                out.append(f"expires = {e.expires.isoformat()}")
            if e.digest:
                out.append(f"digest = {toml_string(e.digest)}")
                listed = "".join(f"\n  {toml_string(g)}," for g in e.grants)
                out.append(f"grants = [{listed}\n]" if e.grants else "grants = []")
        return "\n".join(out) + "\n"

    def write(self) -> None:
        """Write the ledger in its sorted form; a failure part-way leaves the old file as it was."""
        import tempfile

        text = self.render()
        target = Path(os.path.realpath(self.path))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            mode = os.stat(target).st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.raw = text.encode("utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: characters TOML writes with a short escape; other control characters take ``\uXXXX``
_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


def toml_string(text: str) -> str:
    """A TOML basic string. Control characters are escaped, and a lone surrogate (a file name
    that is not UTF-8) becomes U+FFFD: TOML strings hold Unicode scalar values only."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def load_ledger(path: str | Path) -> Ledger:
    """Read and check a ledger. A file that does not exist yet is an empty ledger."""
    path = Path(path)
    if not path.exists():
        return Ledger(path)
    shown = display_path(str(path))
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise LedgerError(f"{shown}: cannot read the approval ledger: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LedgerError(f"{shown}: the approval ledger is not UTF-8 text") from None
    from scanner.policy.config import toml_module

    tomllib = toml_module()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LedgerError(f"{shown}: invalid TOML: {exc}") from None
    lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER_RE.finditer(text)]
    ledger = Ledger(path, raw=raw)
    for key in data:
        if key not in ("version", "approval"):
            raise LedgerError(f"{shown}: unknown key '{key}'; allowed keys: approval, version")
    if data.get("version") != VERSION:
        raise LedgerError(f"{shown}: key 'version': must be {VERSION} (the version this nhi-guard writes and reads)")
    items = data.get("approval", [])
    if not isinstance(items, list):
        raise LedgerError(f"{shown}: key 'approval': must be [[approval]] tables")
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else 1
        entry = _entry(item, f"{shown}:{line}: approval[{i}]", line)
        if entry.key in ledger.entries:
            first = ledger.entries[entry.key].line
            raise LedgerError(
                f"{shown}:{line}: approval[{i}]: {entry.address} in module '{entry.module}' is already approved at "
                f"line {first}; keep one entry per identity"
            )
        ledger.entries[entry.key] = entry
    return ledger


def _entry(item: Any, where: str, line: int) -> LedgerEntry:
    if not isinstance(item, dict):
        raise LedgerError(f"{where}: must be a table")
    for key in item:
        if key not in _KEYS:
            raise LedgerError(f"{where}: unknown key '{key}'; allowed keys: {', '.join(sorted(_KEYS))}")
    values: dict[str, Any] = {}
    for key, (required, kind, what) in _KEYS.items():
        value = item.get(key)
        if value is None:
            if required:
                raise LedgerError(f"{where}: key '{key}' is missing: {what}")
            continue
        if (kind is date and isinstance(value, datetime)) or not isinstance(value, kind):
            raise LedgerError(f"{where}: key '{key}': must be {what}, not {_describe(value)}")
        if isinstance(value, str) and not value.strip():
            raise LedgerError(f"{where}: key '{key}': must be {what}, not an empty string")
        values[key] = value
    grants = values.get("grants", [])
    for j, grant in enumerate(grants):
        if not isinstance(grant, str):
            raise LedgerError(f"{where}: key 'grants[{j}]': must be a string, not {_describe(grant)}")
    digest = values.get("digest")
    if digest is not None and not _DIGEST_RE.match(digest):
        raise LedgerError(f"{where}: key 'digest': must be {_KEYS['digest'][2]}")
    if grants and digest is None:
        raise LedgerError(f"{where}: key 'digest' is missing: grants are listed, so the digest that binds them must be")
    expires, approved = values.get("expires"), values["approved_on"]
    if expires is not None and expires < approved:
        raise LedgerError(f"{where}: key 'expires': {expires.isoformat()} is before approved_on {approved.isoformat()}")
    return LedgerEntry(
        module=values["module"],
        address=values["address"],
        type=values.get("type", ""),
        approved_by=values["approved_by"].strip(),
        ticket=values["ticket"].strip(),
        requested_by=values.get("requested_by", "").strip() or None,
        approved_on=approved,
        expires=expires,
        digest=digest,
        grants=tuple(grants),
        line=line,
    )


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def discover_ledger(start: Path) -> Path | None:
    """The nearest ledger in ``start`` (a file's directory) or its parents."""
    here = start.resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / LEDGER_NAME
        if candidate.is_file():
            return candidate
    return None


class Ledgers:
    """Which ledger governs each input file: the one given (``--ledger``), else the nearest one
    above the file, as for config files. ``None`` from :meth:`for_file`: no ledger."""

    def __init__(
        self,
        explicit: Ledger | str | Path | None = None,
        discover: bool = True,
        verify: Callable[[Ledger], None] | None = None,
    ) -> None:
        #: checks a ledger once it is read (the entry point checks each digest against its grants)
        self._verify = verify
        self._explicit: Ledger | None = None
        if isinstance(explicit, Ledger):
            self._explicit = explicit
        elif explicit is not None:
            self._explicit = load_ledger(explicit)
        if self._explicit is not None and verify is not None:
            verify(self._explicit)
        self._discover = discover and self._explicit is None
        self._by_dir: dict[str, Ledger | None] = {}
        self._by_file: dict[str, Ledger] = {}

    def for_file(self, file: str) -> Ledger | None:
        if self._explicit is not None:
            return self._explicit
        if not self._discover or not file or file.startswith("<"):
            return None
        folder = Path(file).parent if not Path(file).is_dir() else Path(file)
        key = os.path.abspath(folder)
        if key not in self._by_dir:
            try:
                found = discover_ledger(Path(key))
            except OSError:
                found = None
            self._by_dir[key] = self._load(found) if found is not None else None
        return self._by_dir[key]

    def _load(self, path: Path) -> Ledger:
        key = str(path)
        if key not in self._by_file:
            ledger = load_ledger(path)
            if self._verify is not None:
                self._verify(ledger)
            self._by_file[key] = ledger
        return self._by_file[key]

    def used(self) -> list[Ledger]:
        """Every ledger handed out so far, each once, by path."""
        if self._explicit is not None:
            return [self._explicit]
        return [self._by_file[k] for k in sorted(self._by_file)]
