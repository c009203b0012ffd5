"""What a rule, or a helper of the IAM layer, may consult besides the resource itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.model.resource import Model, Resource
    from scanner.policy.config import Config
    from scanner.policy.metadata import Metadata, MetadataResolver


@dataclass
class Context:
    """What a rule may consult besides the resource itself."""

    model: Model
    config: Config
    metadata: MetadataResolver
    today: date = field(default_factory=date.today)
    #: who asks for the change being scanned (a pull request's author), when known
    requester: str | None = None

    def meta(self, res: Resource) -> Metadata:
        return self.metadata.resolve(res)
