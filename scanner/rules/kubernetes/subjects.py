"""RBAC subjects of Kubernetes bindings: which are machines, and how messages name them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.model.values import Unknown


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and not isinstance(value, Unknown) else None


def is_machine_subject(subject: Mapping[str, Any]) -> bool:
    """A ServiceAccount, or the user/group names Kubernetes gives service accounts."""
    kind, name = _text(subject.get("kind")), _text(subject.get("name")) or ""
    if kind == "ServiceAccount":
        return True
    if kind == "User":
        return name.startswith("system:serviceaccount:")
    if kind == "Group":
        return name == "system:serviceaccounts" or name.startswith("system:serviceaccounts:")
    return False


def describe_subject(subject: Mapping[str, Any]) -> str:
    kind = _text(subject.get("kind")) or "?"
    name = _text(subject.get("name")) or "(unknown)"
    namespace = _text(subject.get("namespace"))
    if kind == "ServiceAccount":
        return f"ServiceAccount {namespace or 'default'}/{name}"
    return f"{kind} {name}"
