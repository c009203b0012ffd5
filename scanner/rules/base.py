"""The rule interface. Each rule lives in its own module under ``scanner/rules/``.

A rule's class docstring is its documentation, in the style of ruff's rule docs,
with the sections ``## What it does``, ``## Why is this bad?``, ``## Example``
and ``## Use instead``. The catalogue in docs/rules.md is generated from it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from scanner.model.severity import Category, Severity
from scanner.policy.context import Context

if TYPE_CHECKING:
    from scanner.model.resource import Resource

RULE_ID_RE = re.compile(r"^NHI_[A-Z0-9]+_\d{3}$")
DOCS_URL = "https://github.com/nhi-guard/nhi-guard/blob/main/docs/rules.md"


@dataclass
class Violation:
    """One problem a rule found on one resource.

    ``path`` is the attribute the problem is on (for the line number); ``key``
    tells apart several violations of one rule on one resource and feeds the
    fingerprint, so it must not contain line numbers or secret values.
    """

    message: str
    path: str | None = None
    key: str = ""
    severity: Severity | None = None
    #: other resources the problem involves, each with what it is to the finding ("the role this
    #: policy is attached to"); reports show them as related locations
    related: list[tuple[Resource, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """What one part of a resource (a policy statement, an RBAC rule block) does wrong, as a family
    base asks its rules about each part: the words that follow the part's name in the message, and a
    severity when it is not the rule's own. The base makes the :class:`Violation`."""

    text: str
    severity: Severity | None = None
    #: added to the part's own key in the finding's key, where one part can hold different problems
    key: str = ""


class Rule:
    id: ClassVar[str]
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    #: one-line remediation shown with every finding
    fix: ClassVar[str]
    #: resource types the rule inspects; modes other than managed are listed explicitly
    resource_types: ClassVar[tuple[str, ...]] = ()
    #: shell-style patterns of further types (``google_*_iam_member``); Checkov takes the same patterns
    resource_patterns: ClassVar[tuple[str, ...]] = ()
    modes: ClassVar[tuple[str, ...]] = ("managed",)
    #: the rule reads other resources through ``ctx.model`` (a Checkov graph check)
    cross_resource: ClassVar[bool] = False
    #: the rule runs as a check of the Checkov policy pack; when False, ``checkov_note`` says why
    #: (docs/checkov.md is generated from it)
    in_checkov: ClassVar[bool] = True
    checkov_note: ClassVar[str] = ""
    #: what the rule judges exists only in plan JSON (an in-place update): HCL and chat answers
    #: can hold only its negatives
    needs_plan: ClassVar[bool] = False
    #: the rule compares a plan object's ``before`` with its ``after`` (a widening, a weakened gate)
    compares_before_after: ClassVar[bool] = False
    #: the rule judges the objects a plan destroys (``res.action == "delete"``, ``res.attrs`` as they
    #: were), and only those: they are not in the model, and no other rule sees them
    judges_deletes: ClassVar[bool] = False

    def applies_to(self, res: Resource) -> bool:
        if res.mode not in self.modes:
            return False
        if not self.resource_types and not self.resource_patterns:
            return True
        return res.type in self.resource_types or any(fnmatch.fnmatchcase(res.type, p) for p in self.resource_patterns)

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def help_uri(cls) -> str:
        return f"{DOCS_URL}#{cls.id.lower()}"
