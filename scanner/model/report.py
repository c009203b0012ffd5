"""The report: pydantic models that define the JSON output contract (see docs/report.schema.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from scanner import __version__
from scanner.model.severity import Category, Severity

UNKNOWN_VALUE = "(unknown)"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolInfo(_Model):
    name: str = "nhi-guard"
    version: str = __version__


class RelatedLocation(_Model):
    """Another place a finding involves: the identity a policy attaches to, the user of a key."""

    file: str
    line: int
    resource: str
    message: str = Field(description="what this place is to the finding, e.g. 'the role this policy is attached to'")


class Finding(_Model):
    rule_id: str
    category: Category
    severity: Severity
    title: str
    message: str
    remediation: str
    resource: str = Field(description="Terraform address, e.g. module.ci.aws_iam_user.deployer or output.x")
    resource_type: str
    file: str
    line: int
    fingerprint: str = Field(description="stable across moved lines and reordered files")
    help_uri: str
    related: list[RelatedLocation] = Field(
        default_factory=list, description="other places the finding involves (SARIF relatedLocations)"
    )


class ErrorEntry(_Model):
    file: str
    line: int | None = None
    message: str


class ApproverRecord(_Model):
    """A named approver and what the pull request's reviews say about them."""

    name: str
    verified: bool | None = Field(
        None,
        description="true: their latest review that is not a comment approves the pull request; false: it does "
        "not (or there is none); null: not checked, no reviews were given",
    )
    state: str | None = Field(None, description="APPROVED, CHANGES_REQUESTED, DISMISSED, COMMENTED or 'no review'")
    login: str | None = None
    review_id: int | None = None
    submitted_at: str | None = None
    commit_id: str | None = None


class ApprovalRecord(_Model):
    """Where an identity's approval is recorded, and whether it holds (docs/approval.md)."""

    source: str = Field(pattern="^(ledger|tags)$")
    ledger: str | None = Field(None, description="the ledger entry, as file:line")
    approver: ApproverRecord | None = None
    approved_on: str | None = None
    expires: str | None = Field(None, description="when the approval ends (a ledger entry's expires)")
    approved_grants_digest: str | None = Field(None, description="the grants digest the ledger entry approved")
    grants_match: bool | None = Field(
        None, description="the identity's grants are the approved ones; null without a ledger entry"
    )
    expired: bool = False
    provisioner: list[str] = Field(default_factory=list, description="who applies changes (config [approval])")
    rules_disabled: list[str] = Field(default_factory=list, description="approval rules the config disables for it")


class WaivedRule(_Model):
    """A waiver that suppressed a finding of this NHI."""

    rule_id: str
    origin: str
    owner: str
    expires: str
    reason: str


class InventoryItem(_Model):
    """One NHI. Metadata fields hold the value, null when missing, or "(unknown)"."""

    resource: str
    resource_type: str
    kind: str = Field(pattern="^(identity|credential|secret|grant)$")
    owner: str | None = None
    expires: str | None = None
    approved_by: str | None = None
    requested_by: str | None = None
    change_ticket: str | None = None
    file: str
    line: int
    action: str
    #: a hash of the resource's configuration with secret values masked: tells an NHI changed in
    #: place (a policy widened) from an unchanged one when two reports are compared
    digest: str | None = None
    grants: list[str] | None = Field(
        None,
        description="what the identity can do, one grant per line, sorted (docs/approval.md); null for a type "
        "that has no grants of its own (a credential acts as its identity, a secret grants nothing)",
    )
    grants_digest: str | None = Field(
        None,
        description="sha256 of the grants' canonical form: the same however the Terraform is written, "
        "different whenever what is granted changes",
    )
    grants_unknown: int = Field(
        0, description="grants that hold a value known only at apply (shown as ${...} or (unknown...))"
    )
    approval: ApprovalRecord | None = Field(None, description="null for a grant, which is approved with its identity")
    waived: list[WaivedRule] = Field(default_factory=list, description="waivers that suppressed a finding of it")
    #: the root module directory (or plan or chat answer file) the identity was scanned in: a
    #: called module's identity belongs to its caller's root (``nhi-guard approve`` keys the ledger
    #: on it). Not part of the JSON contract.
    _scope: str = PrivateAttr(default="")

    @property
    def scope(self) -> str:
        return self._scope or self.file


class AppliedWaiver(_Model):
    rule_id: str
    resource: str
    reason: str
    owner: str
    expires: str
    origin: str = Field(description="where the waiver is written: file:line or the config file")
    suppressed: int


class InputDigest(_Model):
    """A scanned input and its sha256: the subjects of the evidence record."""

    file: str
    sha256: str | None = Field(None, description="null when withheld: the file holds a secret of the scan")


class Provenance(_Model):
    """What the scan read and what approvals were checked against (recorded for `--format evidence`)."""

    inputs: list[InputDigest] = Field(default_factory=list)
    today: str
    requester: str | None = None
    reviews: InputDigest | None = Field(None, description="the pull request's reviews approvers were checked against")
    reviews_count: int = 0
    reviews_unavailable: str | None = Field(None, description="why the reviews could not be read")
    reviews_head: str | None = Field(
        None, description="the pull request's head commit the approvals had to be of (`--head-sha`); null: not checked"
    )
    ledgers: list[InputDigest] = Field(default_factory=list, description="the approval ledgers read")
    teams: dict[str, list[str]] = Field(default_factory=dict, description="team members used to check approvers")
    unresolved_teams: dict[str, str] = Field(default_factory=dict, description="teams whose members are not known")


class Summary(_Model):
    total: int = 0
    by_severity: dict[str, int] = Field(default_factory=dict)
    by_category: dict[str, int] = Field(default_factory=dict)
    files_scanned: int = 0
    resources_scanned: int = 0
    suppressed: int = 0
    preexisting: int = Field(0, description="findings hidden because their fingerprint is in the --baseline report")
    incomplete: bool = Field(False, description="true when some input could not be read or parsed")


class Report(_Model):
    tool: ToolInfo = Field(default_factory=ToolInfo)
    findings: list[Finding] = Field(default_factory=list)
    errors: list[ErrorEntry] = Field(default_factory=list)
    inventory: list[InventoryItem] = Field(default_factory=list)
    waivers: list[AppliedWaiver] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    provenance: Provenance | None = Field(
        None, description="what was scanned, with digests, and checked against: filled for the evidence record"
    )


def json_schema() -> dict[str, object]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nhi-guard report"
    return schema
