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
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel

from scanner.model.report import Report
from scanner.model.resource import Resource
from scanner.model.values import is_unknown
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
    if not is_unknown(value):
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
        if is_unknown(value):
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


def is_credential_attr(resource_type: str, key: str) -> bool:
    """``key`` of a ``resource_type`` holds credential material (``password``, ``secret_string``...)."""
    return _secret_attr(key) and resource_type not in _NOT_SECRET_TYPES and key not in _NOT_SECRET_ATTRS


def all_strings(value: Any) -> list[str]:
    """Every string in a value: nested maps and lists, known parts of ``jsonencode``, and the
    strings inside JSON text."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if is_unknown(item):
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
    | {"title", "remediation"}  # a rule's own text, never a value
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
        if is_unknown(value):
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


#: a word as :func:`rule_words` reads them, and what may stand between the words of a phrase
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]+")
_PHRASE_GLUE = " \t.,;:"
#: what ends a label in running text: a resource address or attribute name never holds these
_LABEL_STOP = frozenset(" \t\n\r`'(),;<>|")


_QUOTED = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'|"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'', re.DOTALL)


@functools.lru_cache(maxsize=1)
def rule_words() -> frozenset[str]:
    """The words of the rules' own text, lower-cased: every quoted string in scanner/rules/
    (messages, titles, fixes, docstrings).

    A secret that is one of these words (a sensitive tag value ``identity``) is masked only where a
    whole report field equals it, and a match inside one of them is left alone, so a rule's text
    is never altered. Read from the source, so a new rule's wording is covered without a list."""
    from scanner import PACKAGE_DIR

    words: set[str] = set()
    for path in (PACKAGE_DIR / "rules").rglob("*.py"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue
        for match in _QUOTED.finditer(text):
            quoted = next(g for g in match.groups() if g is not None)
            words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]+", quoted))
    return frozenset(words)


def is_rule_text(text: str) -> bool:
    """``text`` is a word of nhi-guard's own text, or a phrase of such words (``never expires``)."""
    words = _WORD.findall(text)
    return bool(words) and not _WORD.sub("", text).strip(_PHRASE_GLUE) and all(w.lower() in rule_words() for w in words)


def with_derived(secrets: set[str]) -> set[str]:
    """``secrets`` plus the values of ``key=value`` pairs inside them.

    Owners and approvers are parsed out of descriptions (``owner=${var.pw}``) and tag lists; a
    value parsed out of secret text is secret too, and is shown on its own in the inventory.
    So is the date of a secret timestamp, which expiry messages show (`expired on 2020-01-02`)."""
    from scanner.policy.metadata import parse_date, parse_pairs

    out = set(secrets)
    for text in secrets:
        if "=" in text or ":" in text:
            out.update(v for v in parse_pairs(text).values() if v)
    for text in list(out):
        day = parse_date(text) if "-" in text else None
        if day is not None:
            out.add(day.isoformat())
    return out


def labels_of(resources: list[Resource], has_secret: Callable[[str], bool]) -> set[str]:
    """The names the author gave things: addresses (with and without instance keys and module
    path), types, names, and every attribute name at any depth. Never altered in a report.

    A map key that holds a secret (``{(var.pw) = 1}``) was computed from a value: not a label."""
    out: set[str] = set()
    keys: set[str] = set()
    for res in resources:
        out.update((res.address, res.config_address, res.type, res.name))
        if res.module:
            out.add(res.module)
        stack: list[Any] = [res.attrs]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                keys.update(k for k in value if isinstance(k, str))
                stack.extend(v for v in value.values() if isinstance(v, dict | list))
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, dict | list))
    return out | {k for k in keys if not has_secret(k)}


class Redactor:
    """Masks every collected secret in every string of a report, but never a label.

    A secret is masked wherever a whole report string equals it. A secret of six characters or
    more is masked inside strings too, except where the match lies within a label: an address,
    an attribute name, or a word of nhi-guard's own text (:func:`rule_words`). A secret that is
    itself such a word (a sensitive value ``password``) is not really secret text, and is masked
    only where a whole string equals it; otherwise it would turn
    ``azuread_service_principal_password.spn`` into ``azuread_service_principal_***REDACTED***.spn``
    in every message of a combined report.
    """

    def __init__(
        self, secrets: set[str], labels: Callable[[Callable[[str], bool]], set[str]] | set[str] | None = None
    ) -> None:
        self.exact = {s for s in secrets if s}
        self._labels_from = labels
        self._labels: set[str] | None = None
        long = [s for s in self.exact if len(s) >= _MIN_SUBSTRING and not self._is_word(s)]
        self.pattern: re.Pattern[str] | None = None
        if long:
            try:
                self.pattern = re.compile(_trie_pattern(long))
            except (RecursionError, re.error):  # thousands of nested prefixes: slow but correct
                self.pattern = re.compile("|".join(re.escape(s) for s in sorted(long, key=len, reverse=True)))
        #: report strings repeat (titles, fixes, addresses): scrub each distinct one once
        self._done: dict[str, str] = {}

    @property
    def labels(self) -> set[str]:
        if self._labels is None:  # built on the first match only: most strings hold no secret
            source = self._labels_from
            self._labels = set(source(self._has_secret) if callable(source) else source or ())
        return self._labels

    def _has_secret(self, text: str) -> bool:
        return text in self.exact or (self.pattern is not None and self.pattern.search(text) is not None)

    @staticmethod
    def _is_word(secret: str) -> bool:
        return is_rule_text(secret)

    def _protected(self, text: str, start: int, end: int) -> bool:
        """The match ``text[start:end]`` lies within a label or a word of nhi-guard's own text."""
        a, b = start, end
        while a > 0 and text[a - 1] not in _LABEL_STOP:
            a -= 1
        while b < len(text) and text[b] not in _LABEL_STOP:
            b += 1
        token = text[a:b]
        # the token, or a run of its dotted parts, that covers the match: `module.m.aws_x.y` in a
        # sentence, `aws_x.y.password` (address and attribute), `password.` at a sentence's end
        cuts = [a, *(a + i for i, ch in enumerate(token) if ch == "."), *(a + i + 1 for i, ch in enumerate(token)
                                                                          if ch == ".")]  # fmt: skip
        cuts = sorted({*cuts, b})
        words = rule_words()
        for i, lo in enumerate(cuts):
            if lo > start:
                break
            for hi in cuts[i + 1 :]:
                if hi < end:
                    continue
                piece = text[lo:hi].strip(".")
                if piece and (piece in self.labels or piece.lower() in words):
                    return True
        return False

    def text(self, value: str) -> str:
        if value in self.exact:
            return MASK
        if self.pattern is None:
            return value
        done = self._done.get(value)
        if done is None:
            done = self._done[value] = self.pattern.sub(
                lambda m: m.group() if self._protected(value, m.start(), m.end()) else MASK, value
            )
        return done

    def _walk(self, value: Any) -> Any:
        """``value`` with every string scrubbed; models, lists and dicts are changed in place.

        In place, because a 50,000-change plan makes a report of some 30,000 findings: a
        dumped and re-validated copy of it was the largest part of the scan's peak memory.
        """
        if isinstance(value, str):
            return value if isinstance(value, Enum) else self.text(value)  # severities, categories: ours
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
