"""Sensitivity marks: values that are secret, or derived from one, carry their mark.

Terraform marks a value ``sensitive`` (a variable declared ``sensitive = true``, the
``sensitive()`` function) and every value computed from a marked one. The HCL evaluator does the
same: a marked value is a :class:`SecretStr`, :class:`SecretInt` or :class:`SecretFloat`, which is
an ordinary ``str``, ``int`` or ``float`` to every rule, and the evaluator marks what it computes
from one (``upper(var.pw)``, ``"owner=${var.pw}"``, ``jsonencode({pw = var.pw})``). After
loading, every marked string is collected for redaction (:func:`collect`), so no output shows
it, however it was transformed.

Marks do not survive JSON (the module cache, a plan): what matters for redaction is the collected
set of strings, which does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.model.values import PartialJson, Unknown


class SecretStr(str):
    """A string that is secret or derived from one."""

    __slots__ = ()


class SecretInt(int):
    __slots__ = ()


class SecretFloat(float):
    __slots__ = ()


_MARKED = (SecretStr, SecretInt, SecretFloat)


def is_secret(value: Any) -> bool:
    return isinstance(value, _MARKED)


def mark(value: Any) -> Any:
    """``value`` with every string and number in it marked (containers are copied, keys included).

    Booleans and null carry no mark: at most one bit of a secret, and a mark on ``true`` would
    mask the word everywhere."""
    if isinstance(value, _MARKED) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    if isinstance(value, int):
        return SecretInt(value)
    if isinstance(value, float):
        return SecretFloat(value)
    if isinstance(value, list):
        return [mark(v) for v in value]
    if isinstance(value, Mapping):
        return {mark(k) if isinstance(k, str) else k: mark(v) for k, v in value.items()}
    if isinstance(value, PartialJson):
        return PartialJson(mark(value.value), value.source)
    return value  # an Unknown: nothing known to mark


class Finder:
    """``has_secret`` for the values of one evaluation: containers are looked into once each."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, bool]] = {}

    def has_secret(self, value: Any) -> bool:
        if isinstance(value, _MARKED):
            return True
        if not isinstance(value, list | dict | PartialJson):
            return False
        hit = self._seen.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if isinstance(value, PartialJson):
            found = self.has_secret(value.value)
        elif isinstance(value, dict):
            found = any(isinstance(k, _MARKED) for k in value) or any(self.has_secret(v) for v in value.values())
        else:
            found = any(self.has_secret(v) for v in value)
        self._seen[id(value)] = (value, found)  # the value is kept alive, so its id is not reused
        return found


def collect(value: Any, out: set[str]) -> None:
    """Every marked string and number in ``value`` (as text), for redaction."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _MARKED):
            text = str(item)  # a plain str: the mark is not needed in the set
            if text:
                out.add(text)
        elif isinstance(item, Mapping):
            stack.extend(k for k in item if isinstance(k, _MARKED))
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, PartialJson):
            stack.append(item.value)
        elif isinstance(item, Unknown):
            continue
