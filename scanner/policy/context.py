"""What a rule, or a helper of the IAM layer, may consult besides the resource itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.model.resource import Model, Resource
    from scanner.policy.config import Config
    from scanner.policy.ledger import Ledgers
    from scanner.policy.metadata import Metadata, MetadataResolver
    from scanner.policy.people import Teams
    from scanner.policy.reviews import Reviews


@dataclass
class Context:
    """What a rule may consult besides the resource itself."""

    model: Model
    config: Config
    metadata: MetadataResolver
    today: date = field(default_factory=date.today)
    #: who asks for the change being scanned (a pull request's author), when known
    requester: str | None = None
    #: literal secret values of the scan: what is derived from the configuration (grant summaries)
    #: masks them before anything is hashed or shown
    secrets: frozenset[str] = frozenset()
    #: results the layers above compute once per scan (an identity's entitlements), by key
    memo: dict[Any, Any] = field(default_factory=dict)
    #: the approval ledger of each file (None: no ledger is used)
    ledgers: Ledgers | None = None
    #: the pull request's reviews, when given: named approvers are checked against them
    reviews: Reviews | None = None
    #: members of the GitHub teams the config names, as far as they are known
    teams: Teams | None = None

    def meta(self, res: Resource) -> Metadata:
        return self.metadata.resolve(res)
