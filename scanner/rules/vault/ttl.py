"""Vault durations: `"768h"`, `"30m"`, `3600` (seconds). Zero and empty mean "not set"."""

from __future__ import annotations

from typing import Any

from scanner.model.values import MISSING, is_known, is_missing


def _zero(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str):
        text = value.strip().lower()
        return text == "" or text.rstrip("smhd") in ("0", "")
    return False


def duration(value: Any) -> Any:
    """A duration attribute as a three-valued value: MISSING where Vault reads it as "use the
    default" (0, "0", "0s", ""), unknown where it is unknown, else the value itself."""
    return MISSING if is_known(value) and _zero(value) else value


def unset(value: Any) -> bool:
    """Not set, or set to a value Vault reads as "use the default"."""
    return is_missing(duration(value))


def is_set(value: Any) -> bool:
    """Known to be set to a non-zero duration."""
    return is_known(duration(value))
