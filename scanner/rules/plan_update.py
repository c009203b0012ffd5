"""Family bases of the rules that compare a plan object's ``before`` with its ``after``: what an update
adds to a grant (privilege widening: NHI_AWS_050, NHI_AZ_050, NHI_GCP_050, NHI_K8S_050) or takes
away from an approval gate (NHI_SOD_050). Only a plan has a ``before``: HCL and chat answers can hold
these rules' negatives only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.rules.base import Context, Rule, Violation


class PlanUpdateRule(Rule):
    """A rule about what a plan's change of an existing object changes (``actions``, by default an
    in-place update)."""

    needs_plan = True
    compares_before_after = True
    #: the plan actions judged
    actions: ClassVar[tuple[str, ...]] = ("update",)

    def check_update(self, res: Resource, before: Mapping[str, Any], ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.action in self.actions and isinstance(res.before, Mapping):
            yield from self.check_update(res, res.before, ctx)


class WideningRule(PlanUpdateRule):
    """A rule about permissions, members or scopes a plan's update adds to an existing grant."""

    category = Category.LEAST_PRIVILEGE
