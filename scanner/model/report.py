"""The report: pydantic models that define the JSON output contract (see docs/report.schema.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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


class AppliedWaiver(_Model):
    rule_id: str
    resource: str
    reason: str
    owner: str
    expires: str
    origin: str = Field(description="where the waiver is written: file:line or the config file")
    suppressed: int


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


def json_schema() -> dict[str, object]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nhi-guard report"
    return schema
