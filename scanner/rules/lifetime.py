"""Family base of the rules about credentials and secrets that live until someone deletes them: keys,
passwords, tokens and secrets with no expiry, no end date and no rotation, in every provider's family
(NHI_AWS_001-003, NHI_AZ_001/002, NHI_GCP_001/004/005, NHI_K8S_002, NHI_VLT_001/002)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from scanner.model.resource import Resource
from scanner.model.severity import Category
from scanner.model.values import as_list, is_missing
from scanner.rules.base import Context, Rule, Violation


class NeverExpiresRule(Rule):
    """A rule about a credential or secret with no lifetime of its own.

    Two things settle the question before the rule is asked (:meth:`check_credential`): the credential
    is switched off (``inactive_when``), or it has an end date, a lifetime or a rotation schedule (one of
    ``lifetime_attrs`` is set; a value known only at apply counts as set, it cannot be shown missing).
    """

    category = Category.EXPIRY
    #: the attribute and the value with which the credential is switched off, and not reported
    inactive_when: ClassVar[tuple[str, str] | None] = None
    #: attributes any one of which gives the credential an end, a lifetime or a rotation
    lifetime_attrs: ClassVar[tuple[str, ...]] = ()

    def check_credential(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        raise NotImplementedError

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if self.inactive_when is not None and res.get(self.inactive_when[0]) == self.inactive_when[1]:
            return
        if any(_set(res.get(attr)) for attr in self.lifetime_attrs):
            return
        yield from self.check_credential(res, ctx)


def _set(value: Any) -> bool:
    """Written (or unknown), and not an empty list of blocks."""
    return not is_missing(value) and as_list(value) != []
