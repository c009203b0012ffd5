"""The configuration file: discovery, validation and defaults."""

from __future__ import annotations

import functools
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from scanner.model.severity import Severity

CONFIG_NAMES = (".nhi-guard.toml", "nhi-guard.toml")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetadataKeys(_Strict):
    """Tag, label and ``key=value`` keys, matched case-insensitively with ``-`` equal to ``_``."""

    owner: list[str] = Field(default_factory=lambda: ["owner", "team"])
    approved_by: list[str] = Field(default_factory=lambda: ["approved_by"])
    requested_by: list[str] = Field(default_factory=lambda: ["requested_by"])
    change_ticket: list[str] = Field(default_factory=lambda: ["change_ticket", "ticket"])
    expires: list[str] = Field(default_factory=lambda: ["expires", "expiry", "expiration"])


class Waiver(_Strict):
    """A time-bounded exception. Incomplete or expired waivers suppress nothing."""

    rule: str
    resource: str = Field(description="Terraform address; shell-style glob allowed")
    reason: str | None = None
    owner: str | None = None
    expires: date | None = None


class ApprovalPolicy(_Strict):
    """Who may approve an identity, and who must not (docs/approval.md)."""

    approvers: list[str] = Field(
        default_factory=list,
        description="logins (`bob`) or GitHub teams (`@acme/security`) whose approval counts; empty: anyone's",
    )
    codeowners: bool = Field(False, description="the approver must be a code owner of the identity's file")
    provisioner: list[str] = Field(
        default_factory=list,
        description="who applies the change (the pipeline's role, user or app): never its approver or requester",
    )
    accept_earlier_commits: bool = Field(
        False,
        description="an approval of an earlier commit of the pull request still counts once the head has "
        "moved on (with `--head-sha`; the Action passes it)",
    )

    @field_validator("approvers", "provisioner")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip():
                raise ValueError("an empty name matches nobody; remove it")
            if item.strip().startswith("@") and item.count("/") > 1:
                raise ValueError(f"'{item}' is not a login or an @org/team")
        return value


class ApprovalGates(_Strict):
    """What the separation-of-duties rules (NHI_SOD_*) judge: production branches and environments,
    and how many approvals a gate must require.

    Branch entries are GitHub-style globs (``*`` stays within one ``/`` segment, ``**`` crosses them),
    with or without ``refs/heads/``; ``~DEFAULT_BRANCH`` is the repository's default branch. Environment
    entries without ``*``, ``?`` or ``[`` match one word of the environment's name (words split at
    ``-``, ``_``, ``.``, ``/`` and spaces, case-insensitive; a name with the word ``non`` or ``pre`` is
    never production); entries with them are globs on the whole name.
    """

    production_branches: list[str] = Field(default_factory=lambda: ["~DEFAULT_BRANCH", "main", "master", "release/*"])
    production_environments: list[str] = Field(default_factory=lambda: ["prod", "production", "live"])
    min_approvals: StrictInt = Field(1, ge=1, le=10)  # GitHub allows 0-6 (rulesets 0-10) approvals

    @field_validator("production_branches", "production_environments")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip():
                raise ValueError("an empty name matches nothing; remove it")
        return value


class Config(_Strict):
    max_credential_days: StrictInt = Field(90, ge=1, le=3650)  # `true` or "90" is a mistake, not 1 or 90
    #: "none": report, never fail (as `--fail-on none` and the Action's `fail-on: none`)
    fail_on: Severity | Literal["none"] = Severity.LOW
    keys: MetadataKeys = Field(default_factory=MetadataKeys)
    ticket_pattern: str | None = Field(None, description="regex a change ticket must match, e.g. '^[A-Z]+-\\d+$'")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="person -> other names (emails, GitHub logins)"
    )
    select: list[str] = Field(
        default_factory=list, description="rule IDs or prefixes to run (empty: all); `--select` replaces it"
    )
    disable: list[str] = Field(
        default_factory=list, description="rule IDs or prefixes not to run; `--ignore` adds to it"
    )
    severity: dict[str, Severity] = Field(default_factory=dict, description="rule ID -> severity override")
    approval_gates: ApprovalGates = Field(default_factory=ApprovalGates)
    waivers: list[Waiver] = Field(default_factory=list)
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)

    @field_validator("select", "disable")
    @classmethod
    def _selectors(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("an empty selector would match every rule; remove it")
        return value

    @field_validator("fail_on", mode="before")
    @classmethod
    def _fail_on(cls, value: Any) -> Any:
        choices = [*(s.value for s in Severity), "none"]
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    @field_validator("ticket_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            compile_ticket_pattern(value)  # raises ValueError: a config error naming the key
        return value


#: the ``google-re2`` distribution, imported as ``re2``
RE2_DISTRIBUTION = "google-re2"


@functools.lru_cache(maxsize=8)
def compile_ticket_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2, whose matching time is linear in the ticket's length.

    The pattern is the user's but the tickets come from the scanned code, so a backtracking
    engine would let a pull request hang the scan with ``^(a|aa)+$``. RE2 never backtracks;
    what it cannot promise that for (backreferences, lookaround) it refuses, and so does this:
    ``ValueError`` with RE2's reason, which the config loader reports under the key's name.
    """
    try:
        import re2
    except ImportError:
        raise ValueError(
            f"needs the '{RE2_DISTRIBUTION}' package, which is not installed (pip install {RE2_DISTRIBUTION})"
        ) from None
    options = re2.Options()
    options.log_errors = False  # RE2 would also print each error to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"not a valid RE2 regular expression: {reason}") from None
    except (TypeError, UnicodeError) as exc:  # a lone surrogate cannot be encoded for RE2
        raise ValueError(f"not a valid RE2 regular expression: {type(exc).__name__}") from None


def ticket_matches(pattern: str, ticket: str) -> bool:
    """``re.search`` semantics (a match anywhere unless anchored), in linear time."""
    # RE2 reads UTF-8; a lone surrogate (from a `\ud800` escape) would not encode
    text = ticket.encode("utf-8", "replace").decode("utf-8")
    return compile_ticket_pattern(pattern).search(text) is not None


def discover(start: Path) -> Path | None:
    """The nearest config file in ``start`` or its parents (pyproject's [tool.nhi-guard] too)."""
    here = start.resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.nhi-guard]" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
    return None


def toml_module() -> Any:
    """``tomllib``, or ``tomli`` before Python 3.11."""
    return _toml()


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    tomllib = _toml()
    try:
        raw: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}{_toml_key(path, str(exc))}") from None
    if path.name == "pyproject.toml":
        raw = raw.get("tool", {}).get("nhi-guard", {})
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None


def _toml_key(path: Path, message: str) -> str:
    """`` (key 'expires')`` for a TOML error on a ``key = value`` line, else nothing."""
    where = re.search(r"at line (\d+)", message)
    if not where:
        return ""
    try:
        line = path.read_text(encoding="utf-8").splitlines()[int(where.group(1)) - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return ""
    key = re.match(r"\s*([A-Za-z0-9_.\"'-]+)\s*=", line)
    return f" (key '{key.group(1)}')" if key else ""


def _describe(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _allowed(err["loc"])
            lines.append(f"{path}: unknown key '{key}'; allowed keys: {', '.join(allowed)}")
        else:
            lines.append(f"{path}: key '{key}': {err['msg']}")
    return "\n".join(lines)


def _allowed(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Config
    for step in loc[:-1]:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(step)
        if field is None:
            break
        ann = field.annotation
        inner = getattr(ann, "__args__", (ann,))[0]
        model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else model
    return sorted(model.model_fields)


class ConfigFile:
    """A config and where it came from (``path`` None: the default policy, or one given as an object)."""

    __slots__ = ("config", "path")

    def __init__(self, config: Config, path: str | None) -> None:
        self.config = config
        self.path = path


class Configs:
    """Which config governs each input file.

    Given one explicitly (a file or a :class:`Config`), it governs everything. Otherwise each file
    is governed by the nearest config file in its directory or above (``.nhi-guard.toml``,
    ``nhi-guard.toml``, or a ``pyproject.toml`` with ``[tool.nhi-guard]``), as ruff does: a
    per-directory config replaces the one above it, it does not merge with it. Inputs that are not
    files (stdin, text given to the API) take the config found from the working directory.
    """

    def __init__(self, explicit: Config | str | Path | None = None) -> None:
        self._explicit: ConfigFile | None = None
        if isinstance(explicit, Config):
            self._explicit = ConfigFile(explicit, None)
        elif explicit is not None:
            path = Path(explicit)
            if not path.is_file():
                raise ConfigError(f"{explicit}: config file not found")
            self._explicit = _read(path)
        self._by_dir: dict[str, ConfigFile] = {}
        self._by_file: dict[str, ConfigFile] = {}
        #: asked once per resource and rule: resolving the path each time took a quarter of the
        #: checking time on a file of 37,000 resources (bench/README.md)
        self._by_input: dict[str, ConfigFile] = {}

    def for_input(self, path: str) -> ConfigFile:
        """The config of a scanned file or directory; for ``<stdin>`` (any name in ``<>``), the working directory's."""
        if self._explicit is not None:
            return self._explicit
        if not path or path.startswith("<"):  # the working directory's: it can change between scans
            return self._discovered(path)
        known = self._by_input.get(path)
        if known is None:
            known = self._by_input[path] = self._discovered(path)
        return known

    def _discovered(self, path: str) -> ConfigFile:
        start = Path.cwd() if not path or path.startswith("<") else Path(path)
        try:
            folder = start.resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a NUL in a name: the scan reports the path itself
            folder = Path(os.path.abspath(start))
        if not folder.is_dir():
            folder = folder.parent
        key = str(folder)
        found = self._by_dir.get(key)
        if found is None:
            try:
                file = discover(folder)
            except OSError as exc:
                raise ConfigError(f"cannot look for a config file above {path}: {exc.strerror or exc}") from None
            found = self._by_dir[key] = self._load(file)
        return found

    def _load(self, file: Path | None) -> ConfigFile:
        if file is None:
            return self._by_file.setdefault("", ConfigFile(Config(), None))
        key = str(file)
        if key not in self._by_file:
            self._by_file[key] = _read(file)
        return self._by_file[key]

    def by_path(self, path: str) -> ConfigFile:
        """A config already handed out, by its file ("" for one given as an object or the default)."""
        if self._explicit is not None:
            return self._explicit
        return self._by_file[path]

    def used(self) -> list[ConfigFile]:
        """Every config handed out so far, each once, in a stable order (config files by path)."""
        if self._explicit is not None:
            return [self._explicit]
        return [self._by_file[k] for k in sorted(self._by_file)]


def _read(path: Path) -> ConfigFile:
    try:
        return ConfigFile(load_config(path), str(path))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
