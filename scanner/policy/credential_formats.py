"""Well-known credential formats, recognised by their shape wherever they are written.

Each format is one a provider issues with a fixed, documented prefix and length, so a match
is almost never anything else (the same shapes gitleaks and GitHub secret scanning use):

* AWS access key pairs: a key ID (``AKIA``/``ASIA``/... and 16 characters) *together with* a
  40-character secret in the same resource. A key ID alone is not a secret (AWS says so), and
  40 characters alone are too often something else; the pair is a credential. AWS's
  documentation examples (``AKIAIOSFODNN7EXAMPLE``) are not.
* GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and fine-grained
  ``github_pat_``), GitLab tokens (``glpat-``, ``glrt-``, ``gldt-``), Slack tokens
  (``xoxb-``, ``xoxp-``...) and incoming webhooks, Google API keys (``AIza``), and PEM
  private key blocks with a body.

Used by NHI_SEC_001 and by the redactor (scanner/policy/redact.py): whatever matches here is
masked in every report, so a rule's message can never carry it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: (what it is, pattern); every pattern starts with a fixed prefix, checked first (cheaply)
_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("a GitHub token", "gh", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    ("a GitHub fine-grained token", "github_pat_", r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b"),
    ("a GitLab token", "gl", r"\bgl(?:pat|rt|dt)-[A-Za-z0-9_-]{20,}"),
    ("a Slack token", "xox", r"\bxox[abposr]-(?:[0-9A-Za-z]+-){1,3}[0-9A-Za-z]{10,}"),
    ("a Slack webhook URL", "hooks.slack.com", r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"),
    ("a Google API key", "AIza", r"\bAIza[0-9A-Za-z_-]{35}\b"),
)
_COMPILED = tuple((what, prefix, re.compile(pattern)) for what, prefix, pattern in _FORMATS)

AWS_KEY_PAIR = "an AWS access key pair"
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b")
#: 40 characters of the secret's alphabet, standing alone (not part of a longer token)
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
#: AWS's documentation examples: AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
_EXAMPLE = "EXAMPLE"


@dataclass(frozen=True)
class Match:
    """One credential found in one text: what it is, and the credential itself (never shown)."""

    what: str
    value: str


def _random_enough(token: str) -> bool:
    """An AWS secret mixes upper and lower case and digits (a hex digest or a word list does not)."""
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)


def _placeholder(token: str) -> bool:
    """``ghp_xxxxxxxx...``, ``AIzaSy...0000``: too few distinct characters to be a generated credential.

    A random string of 16 or more characters from these alphabets has far more than 10 distinct
    characters; placeholders written by people and chat assistants have a handful.
    """
    return len(set(token)) < 10 or _EXAMPLE in token


PRIVATE_KEY = "a private key"
_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
#: a PEM body: base64 lines, possibly `Proc-Type:`-style headers; `\n` written as an escape counts as a newline
_PEM_HEADER = re.compile(r"^[A-Za-z-]+:.*$", re.MULTILINE)
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=]+")
_MIN_PEM_BODY = 64


def _private_keys(text: str) -> list[str]:
    """PEM private key blocks with a real body (not ``...`` or a placeholder), BEGIN to END."""
    out = []
    for begin in _PEM_BEGIN.finditer(text):
        end_marker = f"-----END {begin.group(1)}-----"
        end = text.find(end_marker, begin.end())
        if end < 0:
            continue
        body = _PEM_HEADER.sub("", text[begin.end() : end].replace("\\n", "\n"))
        chunks = body.split()
        if chunks and all(_PEM_BODY.fullmatch(c) for c in chunks) and sum(map(len, chunks)) >= _MIN_PEM_BODY:
            out.append(text[begin.start() : end + len(end_marker)])
    return out


def single_credentials(text: str) -> list[Match]:
    """Credentials of the self-identifying formats (everything but AWS key pairs) in ``text``."""
    out: list[Match] = []
    for what, prefix, pattern in _COMPILED:
        if prefix in text:
            out.extend(Match(what, m.group(0)) for m in pattern.finditer(text) if not _placeholder(m.group(0)))
    if "-----BEGIN" in text:
        out.extend(Match(PRIVATE_KEY, k) for k in _private_keys(text))
    return out


_AWS_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")


def aws_key_ids(text: str) -> list[str]:
    if not any(p in text for p in _AWS_KEY_PREFIXES):
        return []
    return [m for m in _AWS_KEY_ID.findall(text) if not _placeholder(m)]


def aws_secrets(text: str) -> list[str]:
    """40-character strings shaped like an AWS secret access key (meaningful next to a key ID only)."""
    if len(text) < 40:
        return []
    return [m for m in _AWS_SECRET.findall(text) if _random_enough(m) and not _placeholder(m)]


def credentials_in(texts: Iterable[str]) -> list[Match]:
    """Every credential in a group of texts (one resource's strings), AWS key pairs included."""
    texts = list(texts)
    out = [m for text in texts for m in single_credentials(text)]
    ids = [i for text in texts for i in aws_key_ids(text)]
    if ids:
        secrets = [s for text in texts for s in aws_secrets(text)]
        if secrets:
            out.extend(Match(AWS_KEY_PAIR, v) for v in (*ids, *secrets))
    return out


_BASE64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def base64_text(value: str) -> str | None:
    """The UTF-8 text a base64 string encodes (EC2 user data is often written so), or None."""
    if len(value) < 16 or _BASE64_RE.fullmatch(value) is None:
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# --- values that are identifiers, not secrets ----------------------------------------------------------

_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
#: lower case: a host name as written in configuration (a JWT or a token has upper case letters)
_FQDN_RE = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?$")
#: an http(s) URL of a host, at most two short path segments, no user info or query: an endpoint (SAS
#: tokens, passwords and webhook secrets are in the query, the user info or a long path segment)
_ENDPOINT_RE = re.compile(r"^https?://[a-z0-9.-]+(?::\d+)?(?:/[a-z0-9._~-]{1,32}){0,2}/?$", re.I)
_SSH_PUBLIC_RE = re.compile(
    r"^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)"
    r" AAAA[\w+/=]+(?: \S.*)?$"
)
_PUBLIC_PEM_RE = re.compile(
    r"^-----BEGIN (?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE)-----[\w+/=\s]+-----END [A-Z ]+-----\s*$"
)


def is_identifier(value: str) -> bool:
    """A value that is plainly not secret: a GUID (a client, tenant or subscription id), an FQDN,
    an endpoint URL without user info or query, an SSH public key, a PEM public key or certificate."""
    text = value.strip()
    if single_credentials(text) or "hook" in text.lower():
        return False
    return any(r.match(text) for r in (_GUID_RE, _FQDN_RE, _ENDPOINT_RE, _SSH_PUBLIC_RE, _PUBLIC_PEM_RE))
