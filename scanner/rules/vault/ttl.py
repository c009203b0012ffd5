"""Vault durations: `"768h"`, `"30m"`, `3600` (seconds). Zero and empty mean "not set"."""

from __future__ import annotations

from typing import Any

from scanner.model.values import Unknown, is_missing


def unset(value: Any) -> bool:
    """Not set, or set to a value Vault reads as "use the default" (0, "0", "0s", "")."""
    if is_missing(value):
        return True
    if isinstance(value, Unknown | bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str):
        text = value.strip().lower()
        return text == "" or text.rstrip("smhd") in ("0", "")
    return False


def is_set(value: Any) -> bool:
    """Known to be set to a non-zero duration."""
    return not isinstance(value, Unknown) and not unset(value)
