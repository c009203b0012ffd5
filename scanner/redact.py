"""Keep secret values out of every output.

Secrets are collected from the model (plan values marked sensitive, literal
values of credential attributes) and every string of the report is scrubbed
before any reporter sees it, so a rule that slips a value into a message still
cannot leak it.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.model import Resource
from scanner.report import Report
from scanner.values import Unknown

MASK = "***REDACTED***"
#: attribute names that hold credential material wherever they appear
SECRET_ATTRS = re.compile(
    r"(^|_)(password|passwd|secret|secret_string|secret_binary|secret_data|token|client_token|private_key|"
    r"access_key|secret_key|client_secret|api_key|credentials?|value|data|data_json|plaintext_value|"
    r"ses_smtp_password_v4|encrypted_secret|key_material|connection_string|sas|pgp_key|result)$"
)
_MIN_SUBSTRING = 6


def _strings(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if value:
            out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def secret_values(res: Resource) -> set[str]:
    """Literal values this resource holds in credential-like attributes."""
    out: set[str] = set()
    if res.mode == "output":
        if res.attrs.get("sensitive") is True:
            _strings(res.attrs.get("value"), out)
        return out
    stack: list[tuple[str, Any]] = list(res.attrs.items())
    while stack:
        key, value = stack.pop()
        if isinstance(value, Unknown):
            continue
        if SECRET_ATTRS.search(key) and res.type not in _NOT_SECRET_TYPES:
            _strings(value, out)
        elif isinstance(value, dict):
            stack.extend(value.items())
        elif isinstance(value, list):
            stack.extend((key, v) for v in value if isinstance(v, dict))
    return out


# Types whose "value"/"data" attributes are not credentials.
_NOT_SECRET_TYPES = {"aws_iam_policy_document", "kubernetes_config_map", "kubernetes_config_map_v1"}


class Redactor:
    def __init__(self, secrets: set[str]) -> None:
        self.exact = {s for s in secrets if s}
        long = sorted((s for s in self.exact if len(s) >= _MIN_SUBSTRING), key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(s) for s in long)) if long else None

    def text(self, value: str) -> str:
        if value in self.exact:
            return MASK
        return self.pattern.sub(MASK, value) if self.pattern else value

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        return value

    def report(self, report: Report) -> Report:
        if not self.exact:
            return report
        return Report.model_validate(self._walk(report.model_dump(mode="json")))
