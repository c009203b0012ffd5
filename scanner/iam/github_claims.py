"""What a GitHub Actions OIDC claim value admits, under each cloud's matching rules.

Every repository on GitHub can get a token from ``token.actions.githubusercontent.com``,
so a federated trust must pin the repository (AWS NHI_AWS_022, Azure NHI_AZ_012) or at
least its owner (Google NHI_GCP_011, whose provider condition is usually an owner and
whose grants name the repository). The claim values are the same everywhere; what
differs is how each cloud compares them, so every function takes ``wildcards``: the
characters that match anything in that comparison.

* AWS ``StringLike``: ``*`` and ``?``; ``StringEquals``: none (``*`` is a literal
  character, and a literal ``*`` is in no repository name).
* Entra ID federated identity credential ``subject``: none (matched exactly).
  A flexible credential's ``matches``: ``*``.

``sub`` is ``repo:OWNER/NAME:<context>`` by default (``ref:refs/heads/main``,
``environment:prod``, ``pull_request``); an organization can customise it into
``key:value`` pairs (``repository_owner_id:42:repository_id:1234:environment:prod``).
"""

from __future__ import annotations

import re

from scanner.model.values import Unknown

GITHUB_HOST = "token.actions.githubusercontent.com"
GITHUB_ISSUER = f"https://{GITHUB_HOST}"
#: AWS StringLike (and other IAM *Like operators)
IAM_LIKE = "*?"
#: exact comparison: nothing is a wildcard
EXACT = ""

_CUSTOM_REPO_RE = re.compile(r"(?:^|:)repository:([^:]*)", re.IGNORECASE)
_CUSTOM_REPO_ID_RE = re.compile(r"(?:^|:)repository_id:([^:]*)", re.IGNORECASE)


def is_wild(text: str, wildcards: str) -> bool:
    return any(c in text for c in wildcards)


def glob(pattern: str, text: str, wildcards: str) -> bool:
    """``text`` matches ``pattern`` when the characters in ``wildcards`` are wildcards (``?``: one character)."""
    body = "".join(
        ".*" if c == "*" and c in wildcards else "." if c == "?" and c in wildcards else re.escape(c) for c in pattern
    )
    return re.fullmatch(body, text, re.DOTALL) is not None


def repo_pinned(repo: str, wildcards: str = IAM_LIKE) -> bool:
    """``owner/name`` with no wildcard anywhere."""
    owner, _, name = repo.partition("/")
    return bool(owner) and bool(name) and not is_wild(repo, wildcards)


def sub_repo(value: str) -> str | None:
    """``acme/app`` of ``repo:acme/app:ref:refs/heads/main``; None for a customised ``sub``."""
    return value[5:].split(":", 1)[0] if value.lower().startswith("repo:") else None


def claim_value_pinned(claim: str, value: object, wildcards: str = IAM_LIKE) -> bool:
    """One condition value admits a single repository's tokens only (unknown counts as pinned)."""
    if isinstance(value, Unknown):
        return True
    if not isinstance(value, str) or not value:
        return False
    if not wildcards:
        return True  # compared exactly, a value is at most one repository's (or no token's at all)
    if claim == "repository":
        return repo_pinned(value, wildcards)
    if claim == "repository_id":
        return not is_wild(value, wildcards)
    if claim == "job_workflow_ref":
        return repo_pinned("/".join(value.split("/")[:2]), wildcards)
    repo = sub_repo(value)
    if repo is not None:
        return repo_pinned(repo, wildcards)
    for pattern in (_CUSTOM_REPO_RE, _CUSTOM_REPO_ID_RE):
        m = pattern.search(value)
        if m:
            part = m.group(1)
            return bool(part) and (
                repo_pinned(part, wildcards) if pattern is _CUSTOM_REPO_RE else not is_wild(part, wildcards)
            )
    return not is_wild(value, wildcards)


def owner_pinned(claim: str, value: object, wildcards: str = IAM_LIKE) -> bool:
    """An unpinned value that still names one owner (``repo:acme/*``): that owner's other repositories get in."""
    if not isinstance(value, str):
        return False
    if claim == "sub":
        repo = sub_repo(value)
        if repo is None:
            return False
        value = repo
    elif claim not in ("repository", "job_workflow_ref"):
        return False
    owner, sep, _ = value.partition("/")
    return bool(owner) and bool(sep) and not is_wild(owner, wildcards)


def sub_admits_pull_requests(value: str, wildcards: str) -> bool:
    """A ``sub`` value that a pull request's workflow gets: ``repo:acme/app:pull_request``, or a pattern
    matching it (``repo:acme/app:*``, ``repo:acme/*``; not ``repo:acme/app:ref:refs/heads/*``).

    A pull request's ``sub`` is exactly ``repo:OWNER/NAME:pull_request``, and names have no ``:``. The
    pattern is tried on that ``sub`` for the repository it names (wildcards in the name read as ``x``).
    """
    repo = sub_repo(value)
    probe = "x/x" if repo is None else "".join("x" if c in wildcards else c for c in repo)
    return glob(value.lower(), f"repo:{probe.lower()}:pull_request", wildcards)
