"""Secret values planted in the secret-exposure fixtures never reach any rendered output.

Two layers are checked: the rules themselves never put a value in a message, and the
redactor (the safety net) masks every planted value even when a rule does.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import Iterable
from typing import Any

import pytest
from conftest import FIXTURES, TODAY

import scanner.pipeline.checking
from scanner.api import ScanOptions, scan
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown
from scanner.policy.config import Config
from scanner.policy.redact import MASK, Redactor
from scanner.reporters import get_reporter
from scanner.rules import Context, Rule, Violation

AWS_KEYS = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]
VAULT_DEFAULT = "hvs.CAESIExampleOnlyVaultTokenAbCdEf0123456789"
K8S_TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.ExampleOnlyPayload.ExampleOnlySignature"
LITERALS = [
    "Pr0d-DB-p4ssw0rd-x9",  # inside jsonencode() and a Kubernetes data map
    "whsec_9vXkQ2ExampleWebhookSecret77",
    "ghp_ExampleOnly0123456789abcdefABCDEF01",  # nested in a .dockerconfigjson
    "pk_live_ExampleOnly51Hx9",  # heredoc JSON
    "sk_live_ExampleOnly51Hx9Secret",
    "SG.ExampleOnly_key.ExampleOnlySendgridSecret0123",
    "npm_ExampleOnlyToken0123456789abcdefABCD",
]
PROVIDERS = [
    *AWS_KEYS,
    "Xq8Q~ExampleOnlyClientSecret.abcdEFGH12",
    "MIIEvQIBADANExampleOnlyNotAKey",  # the private key inside pasted service account JSON
    K8S_TOKEN,
]

CASES: dict[str, list[str]] = {
    "hcl/secrets_literal": [*LITERALS, "rk_live_51Hx9ExampleOnlyKey0000000000", "Adm1n-Pr0d-2024!"],
    "hcl/secrets_provider": [*PROVIDERS, VAULT_DEFAULT, "ghp_ExampleOnly9876543210zyxwvuTSRQPO00"],
    "plan/secrets_literal.json": [*LITERALS, "dd-ExampleOnly0123456789abcdef0123"],
    "plan/secrets_no_config.json": [
        "Pr0d-DB-p4ssw0rd-x9",
        "ghp_ExampleOnly0123456789abcdefABCDEF01",
        "SG.ExampleOnly_key.ExampleOnlySendgridSecret0123",
        "npm_ExampleOnlyToken0123456789abcdefABCD",
    ],
    "plan/secrets_provider.json": [*PROVIDERS, VAULT_DEFAULT, "ghp_ExampleOnlyInjectedFromCI000000000000"],
    "plan/k8s_sa_token.json": ["gh0-Registry-Pass-2026"],
    "markdown/secrets_literal.md": ["Xk9#mP2$vL7qR4nW", "sk_live_ExampleOnly4eC39HqLyjWDarjtT1"],
    "markdown/secrets_provider.md": [*AWS_KEYS, VAULT_DEFAULT, "ghp_ExampleOnly9876543210zyxwvuTSRQPO00"],
}


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
        if value.lstrip()[:1] in "{[":
            with contextlib.suppress(ValueError):
                yield from _leaves(json.loads(value))
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, Unknown):
        yield from _leaves(getattr(value, "value", None))


class LeakEverything(Rule):
    """A careless rule: puts every string it can find (JSON decoded too) into its message."""

    id = "NHI_TST_999"
    category = Category.SECRET_EXPOSURE
    severity = Severity.LOW
    title = "leaks"
    fix = "do not"
    modes = ("managed", "data", "output", "provider")

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        yield Violation(f"{res.address}: " + " | ".join(_leaves(res.attrs)))


def _render(case: str) -> dict[str, str]:
    report = scan([str(FIXTURES / case)], ScanOptions(config=Config(), today=TODAY)).report
    assert report.errors == []
    return {fmt: get_reporter(fmt)(report, False) for fmt in ("json", "text")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rules_never_print_planted_secrets(case: str) -> None:
    for fmt, text in _render(case).items():
        assert MASK not in text, f"{case} ({fmt}): a rule put a secret value in a message"
        for secret in CASES[case]:
            assert secret not in text, f"{case} ({fmt}) leaks {secret[:4]}..."


@pytest.mark.parametrize("case", sorted(CASES))
def test_redactor_masks_planted_secrets_even_when_a_rule_leaks(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = scanner.pipeline.checking.all_rules()
    monkeypatch.setattr(scanner.pipeline.checking, "all_rules", lambda: (*rules, LeakEverything()))
    rendered = _render(case)
    for fmt, text in rendered.items():
        assert "NHI_TST_999" in text
        assert MASK in text
        for secret in CASES[case]:
            assert secret not in text, f"{case} ({fmt}): the redactor missed {secret[:4]}..."


def test_redaction_keeps_finding_identity() -> None:
    """A sensitive user name (`DB_USER = "payments"`) must not mask addresses that contain it."""
    report = json.loads(_render("plan/secrets_literal.json")["json"])
    resources = {f["resource"] for f in report["findings"]}
    assert "kubernetes_secret_v1.payments_db" in resources
    assert all(MASK not in f["resource"] and MASK not in f["fingerprint"] for f in report["findings"])


def _plain_alternation(secrets: set[str], text: str) -> str:
    """The obvious redaction the prefix-tree pattern must agree with: longest secret first."""
    exact = {s for s in secrets if s}
    if text in exact:
        return MASK
    long = sorted((s for s in exact if len(s) >= 6), key=len, reverse=True)
    return re.sub("|".join(re.escape(s) for s in long), MASK, text) if long else text


def test_prefix_tree_redaction_matches_plain_alternation() -> None:
    rng = random.Random(7)
    alphabet = "ab.*(|\\?"  # regex metacharacters and lots of shared prefixes
    secrets = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(300)}
    secrets |= {"abcdef", "abcdefgh", "abcdefghij", "xyz"}
    redactor = Redactor(secrets)
    texts = ["".join(rng.choice(alphabet + "xyz ") for _ in range(rng.randint(0, 60))) for _ in range(500)]
    texts += ["key abcdefghij and abcdefg and abcdef.", "xyz", "no secret here"]
    for text in texts:
        assert redactor.text(text) == _plain_alternation(secrets, text), text
    assert redactor.text("key abcdefghij and abcdefg") == f"key {MASK} and {MASK}g"


def test_redaction_survives_secrets_nested_deeper_than_the_recursion_limit() -> None:
    secrets = {"s" * n for n in range(6, 1600)}  # every one a prefix of the next
    redactor = Redactor(secrets)
    assert redactor.text("x" + "s" * 2000 + "y") == "x" + MASK + MASK + "y"  # 1599 + 401 characters


def test_config_digest_tracks_configuration_but_never_secrets() -> None:
    from scanner.policy.redact import config_digest

    policy = {"name": "app", "policy": '{"Statement": [{"Action": "s3:GetObject"}]}', "tags": {"owner": "a"}}
    wider = {**policy, "policy": '{"Statement": [{"Action": "iam:*"}]}'}
    assert config_digest(policy, set()) == config_digest(dict(reversed(policy.items())), set())
    assert config_digest(policy, set()) != config_digest(wider, set())
    # a new secret value: the same digest, so the hash cannot be used to test guesses of the value
    assert config_digest({"secret_string": "hunter2"}, set()) == config_digest({"secret_string": "other"}, set())
    assert config_digest({"name": "p4ss"}, {"p4ss"}) == config_digest({"name": "other"}, {"other"})
    assert config_digest({"x": Unknown("var.x")}, set()) == config_digest({"x": Unknown("var.y")}, set())


def test_config_digest_masks_everything_below_a_secret_attribute_and_sensitive_paths() -> None:
    from scanner.model.values import PartialJson
    from scanner.policy.redact import config_digest

    def secret_data(password: str) -> dict[str, object]:
        inner = {"db_pass": password, "host": Unknown("var.h")}
        return {"name": "app", "data": {"config.json": PartialJson(inner, "jsonencode(...)")}}

    assert config_digest(secret_data("hunter2"), set()) == config_digest(secret_data("other"), set())
    assert config_digest({"pin": 1234, "name": "a"}, set(), {"pin"}) == config_digest(
        {"pin": 9999, "name": "a"}, set(), {"pin"}
    )
    assert config_digest({"pin": 1234}, set()) != config_digest({"pin": 9999}, set())  # not sensitive: tracked
