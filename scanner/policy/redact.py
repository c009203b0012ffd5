"""Keep secret values out of every output.

Secrets are collected from the model (plan values marked sensitive, literal
values of credential attributes) and every string of the report is scrubbed
before any reporter sees it, so a rule that slips a value into a message still
cannot leak it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel

from scanner.model.report import Report
from scanner.model.resource import Resource
from scanner.model.values import Unknown
from scanner.policy.credential_formats import base64_text, credentials_in

MASK = "***REDACTED***"
#: attribute names that hold credential material wherever they appear
SECRET_ATTRS = re.compile(
    r"(^|_)(password|passwd|secret|secret_string|secret_binary|secret_data|token|client_token|private_key|"
    r"access_key|secret_key|client_secret|api_key|credentials?|value|data|data_json|plaintext_value|"
    r"ses_smtp_password_v4|encrypted_secret|key_material|connection_string|sas|pgp_key|result|"
    r"client_key|client_certificate|pem_file|app_key|private_key_passphrase)(_wo)?$"
)
#: provider blocks also log in with these (vault `auth_login_approle { secret_id }`)
PROVIDER_SECRET_ATTRS = re.compile(r"(^|_)(secret_id|parameters|auth)$")
#: keys inside a secret map that plainly hold configuration, not credentials (`DB_USER`, `host`):
#: masking their values would blank out names everywhere in the report
NOT_SECRET_KEY = re.compile(
    r"^(.*[_.-])?(user|username|user_name|login|host|hostname|port|database|dbname|db|db_name|region|"
    r"endpoint|namespace|site|type|email|project_id|client_id|tenant_id|subscription_id|uri|cert_url|"
    r"universe_domain)$",
    re.IGNORECASE,
)
_MIN_SUBSTRING = 6


def _strings(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if value:
            out.add(value)
        if value.lstrip()[:1] in ("{", "["):  # jsonencode'd secret maps: each value is a secret too
            with contextlib.suppress(ValueError):
                _strings(json.loads(value), out)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not (isinstance(v, str) and NOT_SECRET_KEY.match(str(k))):
                _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def collect_strings(value: Any, out: set[str]) -> None:
    """Every string in a secret value (JSON-encoded maps decoded too), for loaders."""
    if not isinstance(value, Unknown):
        _strings(value, out)


@functools.lru_cache(maxsize=4096)
def _secret_attr(key: str) -> bool:  # the same few hundred attribute names, on every resource
    return SECRET_ATTRS.search(key) is not None


def secret_values(res: Resource) -> set[str]:
    """Literal values this resource holds in credential-like attributes, and every string of a
    well-known credential format wherever it is (scanner/policy/credential_formats.py)."""
    out: set[str] = set()
    if res.mode == "output":
        if res.attrs.get("sensitive") is True:
            _strings(res.attrs.get("value"), out)
        return out
    strings = all_strings(res.attrs)
    out.update(m.value for m in credentials_in(strings))
    for text in strings:  # base64 user data that carries a credential is as secret as the credential
        decoded = base64_text(text) if len(text) >= 40 else None
        if decoded is not None and credentials_in([decoded]):
            out.add(text)
    stack: list[tuple[str, Any]] = list(res.attrs.items())
    while stack:
        key, value = stack.pop()
        if isinstance(value, Unknown):
            value = getattr(value, "value", None)  # PartialJson: a jsonencode with known parts
            if value is None:
                continue
        if (_secret_attr(key) and res.type not in _NOT_SECRET_TYPES and key not in _NOT_SECRET_ATTRS) or (
            res.mode == "provider" and PROVIDER_SECRET_ATTRS.search(key)
        ):
            _strings(value, out)
        elif isinstance(value, dict):
            stack.extend(value.items())
        elif isinstance(value, list):
            stack.extend((key, v) for v in value if isinstance(v, dict))
    return out


def all_strings(value: Any) -> list[str]:
    """Every string in a value: nested maps and lists, known parts of ``jsonencode``, and the
    strings inside JSON text."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown):
            item = getattr(item, "value", None)  # PartialJson: the known structure
        if isinstance(item, str):
            out.append(item)
            if item.lstrip()[:1] in ("{", "["):
                with contextlib.suppress(ValueError, RecursionError):
                    stack.append(json.loads(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return out


# Types whose "value"/"data" attributes are not credentials.
_NOT_SECRET_TYPES = {"aws_iam_policy_document", "kubernetes_config_map", "kubernetes_config_map_v1"}
#: attributes matching SECRET_ATTRS by name only: Google IAM `policy_data` is roles and members
_NOT_SECRET_ATTRS = {"policy_data"}


#: report fields that identify a finding (addresses, paths, ids): labels the author wrote, never
#: attribute values. Masking them would only break fingerprints and grouping, e.g. when a
#: sensitive user name in a Secret's `data` is also the resource name.
_IDENTITY_FIELDS = frozenset(
    {"rule_id", "resource", "resource_type", "file", "fingerprint", "help_uri", "category", "severity", "kind"}
    | {"digest", "grants_digest"}  # hashes of the configuration and of the grants, with secrets already masked
)


def _trie_pattern(words: list[str]) -> str:
    """One regex matching any of ``words``, longest first, as a prefix tree.

    A plain ``a|b|c`` alternation makes the regex engine try every secret at every position
    of every report string: quadratic on a plan with thousands of secrets (3 s of a 4.7 s scan
    on 10,000 changes, bench/README.md). Sharing prefixes leaves a handful of branches per
    position. Runs of single children are joined, so nesting only grows at branch points.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alternatives = []
        for ch in sorted(k for k in node if k):
            chain, child = [ch], node[ch]
            while len(child) == 1 and "" not in child:
                (nxt, child), = child.items()
                chain.append(nxt)
            rest = "" if list(child) == [""] else build(child)
            alternatives.append(re.escape("".join(chain)) + rest)
        if len(alternatives) == 1 and "" not in node:
            return alternatives[0]
        group = "(?:" + "|".join(alternatives) + ")"
        return group + "?" if "" in node else group  # greedy: the longer secret wins

    return build(trie)


def config_digest(attrs: Any, secrets: set[str], sensitive_paths: set[str] | frozenset[str] = frozenset()) -> str:
    """A short, stable hash of a resource's attributes that carries no secret.

    Masked before hashing, because a hash of a short password could be brute-forced: every value
    in ``secrets``, everything below a credential-like attribute name (``data``, ``password``...)
    however deeply nested, and everything at a path the plan marks sensitive.
    """

    def clean(value: Any, key: str, path: str, secret: bool) -> Any:
        if path in sensitive_paths:
            return MASK
        secret = secret or _secret_attr(key)
        if isinstance(value, Unknown):
            inner = getattr(value, "value", None)  # PartialJson: the known structure of a jsonencode
            return ["(unknown)", clean(inner, key, path, secret)] if inner is not None else "(unknown)"
        if isinstance(value, dict):
            return {str(k): clean(v, str(k), f"{path}.{k}" if path else str(k), secret) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [clean(v, key, f"{path}.{i}" if path else str(i), secret) for i, v in enumerate(value)]
            return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
        if secret or (isinstance(value, str) and value in secrets):
            return MASK if value is not None else None
        if isinstance(value, str):
            for found in credentials_in([value]):  # a credential inside a longer text (user data, a script)
                value = value.replace(found.value, MASK)
        if value is None or isinstance(value, str | bool | int | float):
            return value
        return type(value).__name__

    text = json.dumps(clean(attrs, "", "", False), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Redactor:
    def __init__(self, secrets: set[str]) -> None:
        self.exact = {s for s in secrets if s}
        long = [s for s in self.exact if len(s) >= _MIN_SUBSTRING]
        self.pattern: re.Pattern[str] | None = None
        if long:
            try:
                self.pattern = re.compile(_trie_pattern(long))
            except (RecursionError, re.error):  # thousands of nested prefixes: slow but correct
                self.pattern = re.compile("|".join(re.escape(s) for s in sorted(long, key=len, reverse=True)))
        #: report strings repeat (titles, fixes, addresses): scrub each distinct one once
        self._done: dict[str, str] = {}

    def text(self, value: str) -> str:
        if value in self.exact:
            return MASK
        if self.pattern is None:
            return value
        done = self._done.get(value)
        if done is None:
            done = self._done[value] = self.pattern.sub(MASK, value)
        return done

    def _walk(self, value: Any) -> Any:
        """``value`` with every string scrubbed; models, lists and dicts are changed in place.

        In place, because a 50,000-change plan makes a report of some 30,000 findings: a
        dumped and re-validated copy of it was the largest part of the scan's peak memory.
        """
        if isinstance(value, str):
            return self.text(value) if type(value) is str else value  # str enums: severities, categories
        if isinstance(value, BaseModel):
            for name, field_value in value.__dict__.items():
                if name not in _IDENTITY_FIELDS:
                    scrubbed = self._walk(field_value)
                    if scrubbed is not field_value:
                        value.__dict__[name] = scrubbed
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in _IDENTITY_FIELDS:
                    value[k] = self._walk(v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                value[i] = self._walk(v)
        return value

    def report(self, report: Report) -> Report:
        """The report with every secret masked (changed in place and returned)."""
        if not self.exact:
            return report
        return self._walk(report)
