"""One Checkov check per nhi-guard rule: a thin adapter, the rule logic lives in the rule.

Imported only inside Checkov's environment (by ``checks/nhi_guard_checks.py``).
"""

from __future__ import annotations

import os
import sys
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from scanner.integrations.checkov.conf import attributes, first_int
from scanner.integrations.checkov.graph_model import BuiltModel, model_for
from scanner.model.resource import Model, Resource
from scanner.model.severity import Category, Severity
from scanner.policy.config import Config, ConfigError, discover, load_config
from scanner.policy.metadata import MetadataResolver
from scanner.policy.redact import Redactor, secret_values
from scanner.policy.waivers import WaiverEntry, inline_waivers
from scanner.rules import Context, Rule, all_rules

_SEVERITY = {
    Severity.CRITICAL: BcSeverities.CRITICAL,
    Severity.HIGH: BcSeverities.HIGH,
    Severity.MEDIUM: BcSeverities.MEDIUM,
    Severity.LOW: BcSeverities.LOW,
}
#: rules that cannot be Checkov checks, and why (also listed in docs/checkov.md)
NOT_IN_CHECKOV = {
    "NHI_SEC_003": "Checkov runs no checks on `output` blocks",
    "NHI_APR_004": "waivers are applied by nhi-guard's engine; in Checkov use #checkov:skip or nhi-guard:ignore",
}


def today() -> date:
    """``NHI_GUARD_TODAY`` pins the date (reproducible tests); otherwise the real date."""
    pinned = os.environ.get("NHI_GUARD_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


@lru_cache(maxsize=64)
def _config_for(directory: str) -> tuple[Config, str | None]:
    path = discover(Path(directory)) if directory else None
    try:
        return load_config(path), str(path) if path else None
    except ConfigError as exc:
        print(f"nhi-guard: {exc}; using the default policy", file=sys.stderr)
        return Config(), None


def _single(conf: dict[str, Any], entity_type: str, mode: str) -> BuiltModel:
    """A model of just this resource, for a check that runs without a graph."""
    address = str(conf.get("__address__") or entity_type)
    res = Resource(address=address, mode=mode, type=entity_type, name=address.rsplit(".", 1)[-1],
                   attrs=attributes(conf), file="", line=first_int(conf.get("__start_line__")))
    return BuiltModel(Model([res]), {address: [res]}, set())


class _Adapter:
    """Shared behaviour of resource and provider checks."""

    rule: Rule
    graph: Any
    details: list[str]

    def _evaluate(self, conf: dict[str, Any], entity_type: str, address: str, mode: str) -> CheckResult:
        try:
            built = model_for(self.graph, conf) or _single(conf, entity_type, mode)
            res = built.find(address, str(getattr(self, "entity_path", "")).rsplit(":", 2)[0])
            if res is not None and not self.rule.applies_to(res):
                return CheckResult.UNKNOWN
            if res is None or res.context_only:
                # Not in the model, or only as context: a plan resource nhi-guard does not scan (no-op, delete).
                return CheckResult.UNKNOWN if conf.get("__change_actions__") else CheckResult.PASSED
            config, config_file = _config_for(str(Path(res.file).parent) if res.file else "")
            if self.rule.id in {d.upper() for d in config.disable}:
                return CheckResult.PASSED
            ctx = Context(model=built.model, config=config, metadata=MetadataResolver(built.model, config),
                          today=today())
            violations = list(self.rule.check(res, ctx))
            if not violations or self._waived(res, config, config_file, ctx.today):
                return CheckResult.PASSED
            secrets = set(built.secrets)
            for r in built.model.resources:
                secrets |= secret_values(r)
            redactor = Redactor(secrets)
            self.details.extend(redactor.text(v.message) for v in violations)
            return CheckResult.FAILED
        except Exception as exc:  # noqa: BLE001 - Checkov would drop the result silently; fail visibly instead
            print(f"nhi-guard: internal error in {self.rule.id} on {address}: {type(exc).__name__}", file=sys.stderr)
            self.details.append(f"nhi-guard internal error ({type(exc).__name__}); the check could not run")
            return CheckResult.FAILED

    def _waived(self, res: Resource, config: Config, config_file: str | None, day: date) -> bool:
        waivers = inline_waivers(res)
        waivers += [WaiverEntry(rules=[w.rule.upper()], resource=w.resource, reason=w.reason, owner=w.owner,
                                expires=w.expires, origin=config_file or "config", file=config_file or "", line=1)
                    for w in config.waivers]
        return any(not w.problems(day) and w.matches(self.rule.id, res.address, res.file) for w in waivers)


def _category(rule: Rule) -> CheckCategories:
    return CheckCategories.SECRETS if rule.category == Category.SECRET_EXPOSURE else CheckCategories.IAM


class RuleResourceCheck(_Adapter, BaseResourceCheck):
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(name=rule.title, id=rule.id, categories=(_category(rule),),
                         supported_resources=(*rule.resource_types, *rule.resource_patterns),
                         guideline=rule.help_uri())
        self.severity = Severities[_SEVERITY[rule.severity]]

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        address = str(conf.get("__address__") or f"{self.entity_type}")
        return self._evaluate(conf, self.entity_type, address, "managed")


class RuleProviderCheck(_Adapter, BaseProviderCheck):
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(name=rule.title, id=rule.id, categories=(_category(rule),),
                         supported_provider=tuple(rule.resource_types), guideline=rule.help_uri())
        self.severity = Severities[_SEVERITY[rule.severity]]

    def scan_provider_conf(self, conf: dict[str, Any]) -> CheckResult:
        # Checkov names a provider block "aws.default" or "aws.<alias>" (entity_type is empty here).
        name, _, alias = str(conf.get("__address__") or self.entity_type).partition(".")
        address = f"provider.{name}" + (f".{alias}" if alias and alias != "default" else "")
        return self._evaluate(conf, name, address, "provider")


def register() -> list[str]:
    """Instantiate (and so register with Checkov) a check for every rule that fits Checkov's model."""
    registered = []
    for rule in all_rules():
        if rule.id in NOT_IN_CHECKOV or not (rule.resource_types or rule.resource_patterns):
            continue
        if "provider" in rule.modes:
            RuleProviderCheck(rule)
        elif "managed" in rule.modes:
            RuleResourceCheck(rule)
        else:
            continue
        registered.append(rule.id)
    return registered
