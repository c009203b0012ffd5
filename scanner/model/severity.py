"""Severities and categories shared by rules, config and reporters."""

from __future__ import annotations

from enum import Enum


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]

    def __str__(self) -> str:
        return self.value


class Category(str, Enum):
    EXPIRY = "expiry"
    OWNERSHIP = "ownership"
    LEAST_PRIVILEGE = "least-privilege"
    APPROVAL = "approval"
    SECRET_EXPOSURE = "secret-exposure"

    def __str__(self) -> str:
        return self.value
