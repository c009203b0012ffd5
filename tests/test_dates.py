"""Expiry dates, absolute and relative (Go durations), as NHI_EXP_001/NHI_EXP_002 read them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import TODAY

from scanner.model.resource import Model, Resource
from scanner.model.values import Unknown
from scanner.policy.config import Config
from scanner.policy.metadata import MetadataResolver
from scanner.rules import Context, get_rule
from scanner.rules.governance.dates import expiry_of, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17520h", timedelta(days=730)),
        ("2160h30m", timedelta(days=90, minutes=30)),
        ("86400s", timedelta(days=1)),
        ("3.5s", timedelta(seconds=3.5)),
        ("1h15m30.5s", timedelta(hours=1, minutes=15, seconds=30.5)),
        ("1.5h", timedelta(minutes=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("10us", timedelta(microseconds=10)),
        ("10\u00b5s", timedelta(microseconds=10)),
        ("-24h", timedelta(days=-1)),
        ("+24h", timedelta(days=1)),
        ("0", timedelta(0)),
        (" 24h ", timedelta(days=1)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "30d", "24", "1y", "24 h", "P30D", "2026-12-01", "1h-5m", "9" * 400 + "h"])
def test_parse_duration_rejects(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize("value", [None, 86400, Unknown("var.ttl"), ["24h"]])
def test_parse_duration_non_strings(value: Any) -> None:
    assert parse_duration(value) is None


def _res(rtype: str, **attrs: Any) -> Resource:
    return Resource(address=f"{rtype}.x", mode="managed", type=rtype, name="x", attrs=attrs, file="main.tf", line=1)


def _ctx(*resources: Resource) -> Context:
    model = Model(resources)
    config = Config()
    return Context(model=model, config=config, metadata=MetadataResolver(model, config), today=TODAY)


def _expiry(res: Resource) -> date | None:
    exp = expiry_of(res, _ctx(res))
    assert exp is not None
    return exp.value


def test_end_date_relative_is_counted_from_today() -> None:
    res = _res("azuread_application_password", end_date_relative="2160h30m")
    exp = expiry_of(res, _ctx(res))
    assert exp is not None
    assert exp.value == TODAY + timedelta(days=90)
    assert exp.path == "end_date_relative"
    assert "2160h30m" in exp.label


def test_service_principal_password_relative() -> None:
    assert _expiry(_res("azuread_service_principal_password", end_date_relative="48h")) == TODAY + timedelta(days=2)


def test_google_secret_ttl() -> None:
    assert _expiry(_res("google_secret_manager_secret", ttl="86400s")) == TODAY + timedelta(days=1)


def test_absolute_date_wins_over_relative() -> None:
    res = _res("google_secret_manager_secret", expire_time="2026-11-15T00:00:00Z", ttl="31536000s")
    assert _expiry(res) == date(2026, 11, 15)


def test_unknown_absolute_falls_back_to_relative() -> None:
    # In a plan, `end_date` is computed from `end_date_relative`: unknown, then the duration decides.
    res = _res("azuread_application_password", end_date=Unknown("end_date"), end_date_relative="17520h")
    assert _expiry(res) == TODAY + timedelta(days=730)


def test_unknown_or_malformed_duration_is_no_expiry() -> None:
    for value in (Unknown("var.lifetime"), "30d"):
        res = _res("azuread_application_password", end_date_relative=value)
        assert expiry_of(res, _ctx(res)) is None


def test_ttl_only_counts_for_types_that_have_it() -> None:
    res = _res("azurerm_key_vault_secret", ttl="24h")
    assert expiry_of(res, _ctx(res)) is None


def _findings(rule_id: str, res: Resource) -> list[str]:
    rule = get_rule(rule_id)
    assert rule is not None
    ctx = _ctx(res)
    return [v.message for v in rule.check(res, ctx)] if rule.applies_to(res) else []


def test_exp_002_reads_relative_lifetimes() -> None:
    long = _res("azuread_application_password", end_date_relative="17520h")
    short = _res("azuread_application_password", end_date_relative="2160h")
    year = _res("google_secret_manager_secret", ttl="31536000s")
    day = _res("google_secret_manager_secret", ttl="86400s")
    assert len(_findings("NHI_EXP_002", long)) == 1
    assert "730 days" in _findings("NHI_EXP_002", long)[0]
    assert _findings("NHI_EXP_002", short) == []
    assert len(_findings("NHI_EXP_002", year)) == 1
    assert _findings("NHI_EXP_002", day) == []


def test_exp_001_negative_duration_is_in_the_past() -> None:
    res = _res("azuread_application_password", end_date_relative="-48h")
    messages = _findings("NHI_EXP_001", res)
    assert len(messages) == 1
    assert (TODAY - timedelta(days=2)).isoformat() in messages[0]
    assert _findings("NHI_EXP_001", _res("azuread_application_password", end_date_relative="48h")) == []
