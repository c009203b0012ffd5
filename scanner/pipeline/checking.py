"""Run the rules over the model, each resource under the config that governs its file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain

from scanner.model.report import Finding
from scanner.model.resource import LoadError, Model, Resource
from scanner.pipeline.findings import display_path, make_finding
from scanner.policy.config import ConfigError, ConfigFile, Configs
from scanner.policy.context import Context
from scanner.policy.ledger import Ledgers
from scanner.policy.metadata import MetadataResolver
from scanner.policy.people import Teams
from scanner.policy.reviews import Reviews
from scanner.policy.selection import Selection, normalise
from scanner.policy.waivers import WaiverEntry, inline_waivers
from scanner.rules import Rule, all_rules
from scanner.util import debug, progress
from scanner.util.gc_pace import fewer_collections

#: ``ctx.memo`` key of the rule IDs that run under a context's config (the evidence says which did not)
ENABLED_RULES = ("enabled rules",)


@dataclass
class Approvals:
    """What approvals are checked against, besides the scanned code."""

    #: the approval ledger of each file (None: tags only)
    ledgers: Ledgers | None = None
    #: the pull request's reviews (None: approvers are not checked against reviews)
    reviews: Reviews | None = None
    #: members of the teams the config names
    teams: Teams | None = None


@dataclass
class Checked:
    findings: list[Finding] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    #: inline waivers of the checked blocks, each once
    waivers: list[WaiverEntry] = field(default_factory=list)
    #: id(finding) -> the config that governs its file (its config waivers, its APR_004 severity)
    governing: dict[int, ConfigFile] = field(default_factory=dict)


class Contexts:
    """One rule context, and one set of enabled rules, per config in use."""

    def __init__(
        self,
        model: Model,
        configs: Configs,
        today: date,
        requester: str | None,
        selection: Selection | None = None,
        secrets: frozenset[str] = frozenset(),
        approvals: Approvals | None = None,
    ) -> None:
        self.model, self.configs, self.today, self.requester = model, configs, today, requester
        self.selection = selection or Selection()
        self.secrets = secrets
        self.approvals = approvals or Approvals()
        self._made: dict[int, tuple[ConfigFile, Context, list[Rule]]] = {}

    def of(self, path: str) -> tuple[ConfigFile, Context, list[Rule]]:
        cf = self.configs.for_input(path)
        made = self._made.get(id(cf))
        if made is None:
            config = cf.config
            ctx = Context(
                self.model,
                config,
                MetadataResolver(self.model, config),
                self.today,
                self.requester,
                secrets=self.secrets,
                ledgers=self.approvals.ledgers,
                reviews=self.approvals.reviews,
                teams=self.approvals.teams,
            )
            _check_selectors(cf)
            rules = [r for r in all_rules() if self.selection.enabled(r.id, config.select, config.disable)]
            ctx.memo[ENABLED_RULES] = frozenset(r.id for r in rules)
            made = self._made[id(cf)] = (cf, ctx, rules)
        return made


def _check_selectors(cf: ConfigFile) -> None:
    """A config's ``select`` or ``disable`` entry that matches no rule is an error, as ``--select`` /
    ``--ignore`` are: a typo in ``select`` would run no rule at all, and pass every scan. So is a
    ``severity`` key that is not a rule ID: the override would silently not apply."""
    ids = [r.id for r in all_rules()]
    for key in ("select", "disable"):
        for selector in normalise(getattr(cf.config, key)):
            if not any(i.startswith(selector) for i in ids):
                raise ConfigError(
                    f"{cf.path or 'config'}: key '{key}': {selector} matches no rule; run `nhi-guard rules` for "
                    "the IDs (a prefix such as NHI_AWS selects a family)"
                )
    for rule_id in cf.config.severity:  # an exact ID: a typo would keep the severity it meant to change
        if rule_id not in ids:
            hint = f" (rule IDs are upper case: {rule_id.upper()})" if rule_id.upper() in ids else ""
            raise ConfigError(
                f"{cf.path or 'config'}: key 'severity': {rule_id} is not a rule ID{hint}; run `nhi-guard rules` "
                "for the IDs"
            )


def _applies(rule: Rule, res: Resource) -> bool:
    return type(rule).applies_to is Rule.applies_to or rule.applies_to(res)


def check(
    resources: Iterable[Resource], total: int, contexts: Contexts, deleted: Iterable[Resource] = ()
) -> Checked:
    """Every rule over every resource; over the objects a plan destroys (``deleted``, not in the
    model), only the rules that judge a deletion (``Rule.judges_deletes``)."""
    with fewer_collections():  # findings and metadata pile up young objects over a large model
        return _check(resources, total, contexts, deleted)


def _check(resources: Iterable[Resource], total: int, contexts: Contexts, deleted: Iterable[Resource]) -> Checked:
    out = Checked()
    inline_seen: set[tuple[str, str]] = set()
    # Rules that keep the base applies_to depend on mode and type only: decided once per pair.
    by_kind: dict[tuple[int, str, str, bool], list[Rule]] = {}
    for done, res in enumerate(chain(resources, deleted), 1):
        progress.update("checking resources", min(done, total), total)
        if res.context_only:
            continue
        gone = res.action == "delete"
        for w in inline_waivers(res):
            w.file = w.scope_file = display_path(w.file)
            w.origin = f"{w.file}:{w.line}"
            if (w.origin, w.resource) not in inline_seen:  # plan instances of one block share its comments
                inline_seen.add((w.origin, w.resource))
                out.waivers.append(w)
        cf, ctx, rules = contexts.of(res.file)
        kind = (id(cf), res.mode, res.type, gone)
        candidates = by_kind.get(kind)
        if candidates is None:
            candidates = by_kind[kind] = [r for r in rules if r.judges_deletes == gone and (
                type(r).applies_to is not Rule.applies_to or r.applies_to(res))]
        scope = ctx.model.scope(res)
        for rule in candidates:
            if not _applies(rule, res):
                continue
            try:
                violations = list(rule.check(res, ctx))
            except Exception as exc:  # noqa: BLE001 - a rule bug must not end the scan silently
                message = f"internal error in rule {rule.id} on {res.address}: {type(exc).__name__}"
                debug.internal_error(exc, f"in rule {rule.id} on {res.address}")
                out.errors.append(LoadError(display_path(res.file), res.line, message))
                continue
            for v in violations:
                finding = make_finding(rule, v, res, scope, cf.config)
                out.findings.append(finding)
                out.governing[id(finding)] = cf
    return out
