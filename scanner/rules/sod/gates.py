"""What every separation-of-duties rule needs: three-valued reads, production scope, "the same repository".

**Reads.** Each provider documents a default for most approval settings (GitHub's
``prevent_self_review`` is ``false``, a ruleset's ``required_approving_review_count`` is ``0``). An
attribute the author did not write takes that default, because Terraform sends it; an attribute
that cannot be known before apply is *unknown* and never leads to a finding. :func:`read_bool` and
:func:`read_int` return None for "cannot tell".

**Production scope.** Branch-scoped gates (branch protections, rulesets, Azure DevOps branch policies,
GitLab approval rules, CodeCommit templates) are judged on the branches the config's
``approval_gates.production_branches`` names; deployment environments on the names
``approval_gates.production_environments`` matches (see scanner/policy/config.py ``ApprovalGates``).
:func:`covers_production` answers "does this set of branch patterns reach a production branch?".
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from scanner.model.resource import Model, Resource
from scanner.model.severity import Category
from scanner.model.values import get_path, is_missing, is_unknown
from scanner.policy.config import ApprovalGates
from scanner.policy.context import Context
from scanner.rules.base import Rule

T = TypeVar("T")

DEFAULT_BRANCH = "~DEFAULT_BRANCH"
ALL_BRANCHES = "~ALL"


class GateRule(Rule):
    """A separation-of-duties rule: an approval gate that lets the requester, a bot or the provisioner
    approve their own change."""

    category = Category.APPROVAL


def shortfall(count: int, wanted: int, nobody: str) -> str:
    """How a gate's approval count falls short, for the end of a message: ``: <nobody>`` when it asks
    for none at all, else what the policy asks for."""
    return f": {nobody}" if count == 0 else f"; the policy asks for {wanted} (approval_gates.min_approvals)"


# --- three-valued reads ---------------------------------------------------------------


def _read(value: Any, default: T | None, convert: Callable[[Any], T | None]) -> T | None:
    """``convert(value)`` for a written value, ``default`` for one not written, None for an unknown one."""
    if is_unknown(value):
        return None
    if is_missing(value):
        return default
    return convert(value)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def read_bool(value: Any, default: bool | None = None) -> bool | None:
    """``value`` as a bool; ``default`` when it is not written; None when it cannot be known."""
    return _read(value, default, _bool)


def read_int(value: Any, default: int | None = None) -> int | None:
    """``value`` as an int (``"2"`` too, as Terraform converts it); None when it cannot be known."""
    return _read(value, default, _int)


def setting(res: Resource, path: str, value: object) -> str:
    """``enforce_admins = false`` as written, or ``enforce_admins not set (false by default)``."""
    name = path.rsplit(".", 1)[-1]
    shown = str(value).lower() if isinstance(value, bool) else value
    if is_missing(res.get(path)):
        return f"{name} not set ({shown} by default)"
    return f"{name} = {shown}"


def read_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- production branches ----------------------------------------------------------------


def strip_ref(name: str) -> str:
    return name[len("refs/heads/") :] if name.startswith("refs/heads/") else name


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


@lru_cache(maxsize=512)
def _branch_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's branch patterns (fnmatch with FNM_PATHNAME): ``*`` and ``?`` stay within a segment."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 2] == "**":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + re.escape(body[1:]) if body.startswith(("!", "^")) else re.escape(body)) + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _overlap(a: str, b: str) -> bool:
    """Two branch patterns (or names) that can name one branch: equal, or one glob matches the other."""
    a, b = strip_ref(a), strip_ref(b)
    if a == b:
        return True
    return bool(
        (_has_glob(a) and _branch_glob(a).fullmatch(b)) or (_has_glob(b) and _branch_glob(b).fullmatch(a))
    )


def reaches(pattern: str, candidate: str, defaults: set[str]) -> bool:
    """``pattern`` and ``candidate`` can name one branch."""
    if pattern == ALL_BRANCHES:
        return True
    if pattern == DEFAULT_BRANCH:
        return candidate == DEFAULT_BRANCH or candidate in defaults
    if candidate == DEFAULT_BRANCH:
        return any(_overlap(pattern, d) for d in defaults)
    return _overlap(pattern, candidate)


def covers_whole(pattern: str, candidate: str, defaults: set[str]) -> bool:
    """``pattern`` matches every branch ``candidate`` (a name or a pattern) can name."""
    if pattern == ALL_BRANCHES:
        return True
    if candidate == ALL_BRANCHES:
        return False
    if pattern == DEFAULT_BRANCH:
        return candidate == DEFAULT_BRANCH or candidate in defaults
    if candidate == DEFAULT_BRANCH:
        return bool(defaults) and all(covers_whole(pattern, d, set()) for d in defaults)
    pattern, candidate = strip_ref(pattern), strip_ref(candidate)
    return pattern == candidate or bool(_has_glob(pattern) and _branch_glob(pattern).fullmatch(candidate))


def production_hits(
    include: Iterable[str], exclude: Iterable[str], gates: ApprovalGates, defaults: set[str]
) -> list[str]:
    """The production branch entries that the ``include`` patterns reach and ``exclude`` does not.

    ``defaults`` are the repository's default branch names when the scan knows them: a pattern
    ``main`` then reaches the ``~DEFAULT_BRANCH`` entry of a repository whose default is ``main``.
    """
    return list(
        _production_hits(tuple(include), tuple(exclude), tuple(gates.production_branches), frozenset(defaults))
    )


@lru_cache(maxsize=4096)  # thousands of protections share a handful of patterns
def _production_hits(
    include: tuple[str, ...], exclude: tuple[str, ...], entries: tuple[str, ...], defaults: frozenset[str]
) -> tuple[str, ...]:
    hits = []
    for entry in entries:
        candidate = entry if entry == DEFAULT_BRANCH else strip_ref(entry)
        if any(reaches(p, candidate, set(defaults)) for p in include) and not any(
            covers_whole(p, candidate, set(defaults)) for p in exclude
        ):
            hits.append(entry)
    return tuple(hits)


def branch_label(entries: list[str]) -> str:
    """``the default branch, `main` and `release/*``` for the production entries a gate reaches."""
    names = ["the default branch" if e == DEFAULT_BRANCH else f"`{e}`" for e in entries]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def scope_label(patterns: Iterable[str], entries: list[str]) -> str:
    """``every branch`` for a gate on ``~ALL``, else the production entries it reaches."""
    return "every branch" if ALL_BRANCHES in patterns else branch_label(entries)


def pattern_label(pattern: str, entries: list[str]) -> str:
    """```production branch `main` (the default branch)`` or ```trunk`` (production: the default branch)`."""
    if pattern == DEFAULT_BRANCH:
        return "the default branch"
    named = [e for e in entries if e != DEFAULT_BRANCH]
    if named == [pattern]:
        return f"production branch `{pattern}`" + (" (the default branch)" if DEFAULT_BRANCH in entries else "")
    return f"`{pattern}` (production: {branch_label(entries)})"


def covers_production(include: Iterable[str], gates: ApprovalGates, defaults: set[str]) -> bool:
    return bool(production_hits(include, (), gates, defaults))


# --- production environments ---------------------------------------------------------------

_WORDS = re.compile(r"[-_./\s]+")
#: a name with one of these words is a staging or test environment: `non-prod`, `pre-production`
_NOT_PRODUCTION = frozenset({"non", "pre", "not"})


def production_environment(name: str, gates: ApprovalGates) -> bool:
    low = name.strip().lower()
    words = {w for w in _WORDS.split(low) if w}
    for entry in gates.production_environments:
        e = entry.strip().lower()
        if _has_glob(e):
            if fnmatch.fnmatchcase(low, e):
                return True
        elif low == e or (e in words and not words & _NOT_PRODUCTION):
            return True
    return False


# --- one target (repository, project) named by two resources ---------------------------------------


def target_of(res: Resource, attr: str, ctx: Context) -> tuple[set[str], set[str]] | None:
    """(addresses of the resources ``res.<attr>`` references, known names); None when unknown.

    A repository or project is named by a reference (``github_repository.app.node_id``) or a
    literal (``"app"``); a referenced resource's literal ``name`` counts as a name too, so
    ``repository = "app"`` and ``repository_id = github_repository.app.node_id`` meet.
    """
    addresses: set[str] = set()
    names: set[str] = set()
    for addr in res.references(attr):
        for target in _instances_meant(res, attr, addr, ctx):
            if target.mode not in ("managed", "data"):
                continue
            addresses.add(target.address)  # with its instance key: `r["api"]` and `r["web"]` are two
            for key in _NAME_KEYS:
                value = target.get(key)
                if isinstance(value, str):
                    names.add(value.lower())
    value = res.get(attr)
    if isinstance(value, str | int) and not isinstance(value, bool):
        names.add(str(value).lower())
        if res.action == "delete" and not addresses:
            names.update(_named_by_value(res, attr, ctx))
    elif is_unknown(value) and not addresses:
        addresses.update(_unscanned(res, value.source, ctx))
    if not addresses and not names:
        return None
    return addresses, names


def _named_by_value(res: Resource, attr: str, ctx: Context) -> set[str]:
    """A deleted gate's repository as its *before* holds it (its configuration, and so its reference,
    is gone), often a GraphQL node ID (``repository_id = github_repository.app.node_id``): the names
    of the scanned repositories it identifies, so that a successor naming the repository by name (a
    ruleset's ``repository``) meets it."""
    return {
        name.lower()
        for repo in ctx.model.referenced(res, attr, "github_repository")
        if isinstance(name := repo.get("name"), str)
    }


#: a whole resource's attribute, as the loaders (``x.r.id``) and Checkov (``${x.r.id}``) write it
_RESOURCE_ATTR = re.compile(r"(?:\$\{)?((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)\.[A-Za-z_]\w*\}?")


def _unscanned(res: Resource, source: str, ctx: Context) -> list[str]:
    """A key for a reference to a resource the scan does not hold (a chat answer that adds gates to an
    existing repository): within one module instance, the same reference means the same repository.
    Not for an instance (``count``, ``for_each``): which of the resource's instances it means is not
    known."""
    match = _RESOURCE_ATTR.fullmatch(source)
    if match is None or res.instance_key is not None or ctx.model.by_address(res, match.group(1)):
        return []
    return [f"?{res.module}:{match.group(1)}"]


#: attributes that name a repository or project
_NAME_KEYS = ("name", "path_with_namespace", "full_name")


def _instances_meant(res: Resource, attr: str, address: str, ctx: Context) -> list[Resource]:
    """The instances of a ``count``/``for_each`` resource that ``res.<attr>`` names.

    Taking every instance made every repository of a ``for_each`` one repository: one repository's
    ruleset hid another's missing review, and one repository's deploy key was reported on all. The
    instances meant are those the reference names by a known key (``github_repository.r[each.key]``
    in an instance, ``github_repository.r["web"]``: HCL), else the one whose name is the
    attribute's known value, else the one the unknown value's expression names
    (``github_repository.r.web.node_id``: plans); when none of these tells, none is taken (the
    target is not known), never a guess.
    """
    targets = ctx.model.by_address(res, address)
    if len(targets) < 2:
        return targets
    keys = res.instances_named(attr, address)
    if keys is not None:
        return [t for t in targets if t.instance_key in keys]
    value = res.get(attr)
    if isinstance(value, str | int) and not isinstance(value, bool):
        wanted = str(value).lower()
        by_value = [
            t
            for t in targets
            if any(isinstance(v := t.get(k), str | int) and str(v).lower() == wanted for k in (*_NAME_KEYS, "id"))
        ]
        if by_value:
            return by_value
    if is_unknown(value) and value.source:
        by_source = [
            t
            for t in targets
            if (key := t.instance_key) is not None and value.source.startswith(f"{t.type}.{t.name}.{key}.")
        ]
        if by_source:
            return by_source
    return []


def in_scope(res: Resource, ctx: Context, *types: str) -> Iterator[Resource]:
    """Resources of ``types`` in ``res``'s module (one directory, plan or chat answer)."""
    scope = ctx.model.scope(res)
    return (other for other in ctx.model.of_type(*types) if ctx.model.scope(other) == scope)


#: per model: (types, attribute) -> (scope, "a:<address>" or "n:<name>") -> [(position, resource)]
_INDEXES: WeakKeyDictionary[Model, dict[tuple[tuple[str, ...], str], dict[tuple[str, str], list[tuple[int, Resource]]]]]
_INDEXES = WeakKeyDictionary()


def targeting(
    res: Resource, attr: str, ctx: Context, types: tuple[str, ...], their_attr: str | Callable[[Resource], str]
) -> list[Resource]:
    """Resources of ``types`` in ``res``'s module naming the target ``res.<attr>`` names: the same reference,
    or the same literal name.

    Indexed once per model: asking every branch protection of a large organisation for its deploy keys
    one pair at a time was quadratic (2,000 repositories took minutes).
    """
    mine = target_of(res, attr, ctx)
    if mine is None:
        return []
    index = _index(ctx, types, their_attr)
    scope = ctx.model.scope(res)
    found: dict[int, tuple[int, Resource]] = {}
    for key in [f"a:{a}" for a in mine[0]] + [f"n:{n}" for n in mine[1]]:
        for pos, other in index.get((scope, key), ()):
            found.setdefault(id(other), (pos, other))
    return [other for _, other in sorted(found.values(), key=lambda hit: hit[0])]


def _index(
    ctx: Context, types: tuple[str, ...], their_attr: str | Callable[[Resource], str]
) -> dict[tuple[str, str], list[tuple[int, Resource]]]:
    per_model = _INDEXES.setdefault(ctx.model, {})
    name = their_attr if isinstance(their_attr, str) else their_attr.__qualname__
    index = per_model.get((types, name))
    if index is None:
        index = {}
        for pos, other in enumerate(ctx.model.of_type(*types)):
            target = target_of(other, their_attr if isinstance(their_attr, str) else their_attr(other), ctx)
            if target is None:
                continue
            scope = ctx.model.scope(other)
            for key in [f"a:{a}" for a in target[0]] + [f"n:{n}" for n in target[1]]:
                index.setdefault((scope, key), []).append((pos, other))
        per_model[(types, name)] = index
    return index


def references_at(res: Resource, path: str) -> list[str]:
    """What the attribute at ``path`` references, whether or not the keys carry block indexes.

    The loaders key a nested attribute as ``block.0.attr``; Checkov's graph edges name it ``block.attr``.
    """
    def bare(key: str) -> str:
        return ".".join(p for p in key.split(".") if not p.isdigit())

    want = bare(path)
    found: list[str] = []
    for key, targets in res.refs.items():
        if bare(key) == want or bare(key).startswith(want + "."):
            found.extend(t for t in targets if t not in found)
    return found


#: attributes whose value is, by construction, a repository's default branch
_DEFAULT_BRANCH_ATTRS = {
    "azuredevops_git_repository": "default_branch",
    "github_repository": "default_branch",
    "gitlab_project": "default_branch",
    "github_branch_default": "branch",
}


_REFERENCE = re.compile(r"^\$?\{?([a-z0-9_]+)\.[\w-]+(?:\[[^\]]*\])?\.([a-z_]+)\}?$")


def names_default_branch(res: Resource, path: str) -> bool:
    """``path`` is a reference to a repository's default branch (``azuredevops_git_repository.app.default_branch``).

    The value is often known only at apply (the repository is created by the same change), but the
    reference says which branch it is. Read from the recorded references (HCL, plan ``configuration``)
    or from the unknown value's own expression text (Checkov names only the referenced resource).
    """
    candidates = list(references_at(res, path))
    value = get_path(res.attrs, path)
    if is_unknown(value) and value.source:
        candidates.append(value.source.strip())
    for ref in candidates:
        m = _REFERENCE.match(ref)
        if m and _DEFAULT_BRANCH_ATTRS.get(m.group(1)) == m.group(2):
            return True
    return False


def known_name(res: Resource, attr: str, ctx: Context | None = None) -> str | None:
    """The name ``res.<attr>`` gives, written or read from the resource it references."""
    value = res.get(attr)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    if ctx is not None:
        for addr in res.references(attr):
            for target in _instances_meant(res, attr, addr, ctx):
                name = target.get("name")
                if isinstance(name, str):
                    return name
    return None


def target_label(res: Resource, attr: str, ctx: Context | None = None) -> str:
    """```app``` for messages; the reference when the name is known only at apply."""
    name = known_name(res, attr, ctx)
    if name is not None:
        return f"`{name}`"
    refs = res.references(attr)
    return f"`{refs[0]}`" if refs else "(set at apply)"


def quoted(items: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)
