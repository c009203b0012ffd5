"""One Checkov check per nhi-guard rule: a thin adapter, the rule logic lives in the rule.

Imported only inside Checkov's environment (by ``checks/nhi_guard_checks.py``).
"""

from __future__ import annotations

import sys
from typing import Any

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from scanner.api import ScanError, ScanOptions, scan_documents
from scanner.integrations.checkov.conf import attributes, first_int
from scanner.integrations.checkov.graph_model import BuiltModel, model_for
from scanner.model.report import Report
from scanner.model.resource import Model, Resource
from scanner.model.severity import Category, Severity
from scanner.pipeline.findings import display_path
from scanner.policy.config import Config
from scanner.rules import Rule, all_rules
from scanner.util import debug

_SEVERITY = {
    Severity.CRITICAL: BcSeverities.CRITICAL,
    Severity.HIGH: BcSeverities.HIGH,
    Severity.MEDIUM: BcSeverities.MEDIUM,
    Severity.LOW: BcSeverities.LOW,
}


def _single(conf: dict[str, Any], entity_type: str, mode: str) -> BuiltModel:
    """A model of just this resource, for a check that runs without a graph."""
    address = str(conf.get("__address__") or entity_type)
    res = Resource(address=address, mode=mode, type=entity_type, name=address.rsplit(".", 1)[-1],
                   attrs=attributes(conf), file="", line=first_int(conf.get("__start_line__")))
    return BuiltModel(Model([res]), {address: [res]}, set())


def report_of(built: BuiltModel) -> Report:
    """nhi-guard's own report of the model, through the same entry point as ``nhi-guard scan``:
    the nearest config of each file, its severity overrides, disabled rules, waivers and
    redaction. Made once per model; each check then looks up its own findings in it."""
    if built.report is None:
        try:
            result = scan_documents(built.documents(), ScanOptions(), secrets=built.secrets)
        except ScanError as exc:
            print(f"nhi-guard: {exc}; using the default policy", file=sys.stderr)
            result = scan_documents(built.documents(), ScanOptions(config=Config()),
                                    secrets=built.secrets)
        built.report = result.report
    return built.report


class _Adapter:
    """Shared behaviour of resource and provider checks."""

    rule: Rule
    graph: Any
    details: list[str]
    severity: Any

    def _evaluate(self, conf: dict[str, Any], entity_type: str, address: str, mode: str) -> CheckResult:
        self.severity = Severities[_SEVERITY[self.rule.severity]]  # the rule's own, unless a config overrides it
        try:
            built = model_for(self.graph, conf) or _single(conf, entity_type, mode)
            res = built.find(address, str(getattr(self, "entity_path", "")).rsplit(":", 2)[0])
            if res is not None and not self.rule.applies_to(res):
                return CheckResult.UNKNOWN
            if res is None or res.context_only:
                # Not in the model, or only as context: a plan resource nhi-guard does not scan (no-op, delete).
                return CheckResult.UNKNOWN if conf.get("__change_actions__") else CheckResult.PASSED
            file = display_path(res.file)
            report = report_of(built)
            crash = f"internal error in rule {self.rule.id} on {res.address}:"
            for error in report.errors:
                if error.message.startswith(crash):  # Checkov would show a crashed rule as passed
                    print(f"nhi-guard: {error.message}", file=sys.stderr)
                    self.details.append(f"nhi-guard {error.message}; the check could not run")
                    return CheckResult.FAILED
            mine = [f for f in report.findings
                    if f.rule_id == self.rule.id and f.resource == res.address and f.file == file]
            if not mine:
                return CheckResult.PASSED
            # Checkov reads the check's severity when it records this result, right after this call.
            worst = max((Severity(f.severity) for f in mine), key=lambda s: s.rank)
            self.severity = Severities[_SEVERITY[worst]]
            self.details.extend(f.message for f in mine)
            return CheckResult.FAILED
        except Exception as exc:  # noqa: BLE001 - Checkov would drop the result silently; fail visibly instead
            print(f"nhi-guard: internal error in {self.rule.id} on {address}: {type(exc).__name__}", file=sys.stderr)
            debug.internal_error(exc, f"in rule {self.rule.id} on {address}")  # with NHI_GUARD_DEBUG=1
            self.details.append(f"nhi-guard internal error ({type(exc).__name__}); the check could not run")
            return CheckResult.FAILED


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
        if not rule.in_checkov or not (rule.resource_types or rule.resource_patterns):
            continue
        if "provider" in rule.modes:
            RuleProviderCheck(rule)
        elif "managed" in rule.modes:
            RuleResourceCheck(rule)
        else:
            continue
        registered.append(rule.id)
    return registered
