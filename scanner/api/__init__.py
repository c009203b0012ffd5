"""nhi-guard's Python API: the one entry point every front end calls.

The CLI, the GitHub Action, the Checkov policy pack and the assistant integrations all go
through :func:`scan` (or, for an already loaded model, :func:`scan_documents`), so the same
inputs and config give the same findings, severities, waivers and exit code everywhere.

    from scanner.api import ScanOptions, Source, scan

    result = scan(["infra/"], ScanOptions(fail_on="high"))
    for finding in result.report.findings:
        print(finding.rule_id, finding.resource, finding.message)
    raise SystemExit(result.exit_code)

    # text that is not on disk: a chat answer, an editor buffer
    result = scan([Source("answer.md", text)])

It owns everything around the pipeline:

* **config discovery**: an explicit config (a file or a :class:`~scanner.policy.config.Config`)
  governs everything; otherwise each input file is governed by the nearest config file above it;
* **waivers**: inline comments and each config's ``[[waivers]]`` (applied in the pipeline);
* **secrets and redaction**: the report is redacted before it is returned;
* **cache**: ``cache_dir`` reuses loaded modules and whole reports;
* **baseline**: findings whose fingerprint is in an earlier JSON report are hidden;
* **requester**: who asks for the change (an approval by them is self-approval);
* **ledger**: the approval ledger (``nhi-guard.approvals.toml``, found like a config file, or
  given), checked when read; :func:`approve` writes it;
* **reviews** and **teams**: the pull request's reviews that named approvers are checked
  against, and the members of the teams the config allows to approve;
* **exit code**: 0, 1 (a finding at or above ``fail_on``) or 2 (an input could not be read).

Errors that stop a scan before it starts (a broken config, an unreadable baseline) raise
:class:`ScanError` with a one-line message naming the file; bad *inputs* never raise, they
are listed in ``report.errors`` and make the exit code 2.
"""

from scanner.api.approving import ApproveResult, approve
from scanner.api.options import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    ScanError,
    ScanOptions,
    ScanResult,
    Source,
    exit_code,
    resolve_fail_on,
    selection_of,
)
from scanner.api.scanning import scan, scan_documents

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "ApproveResult",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "Source",
    "approve",
    "exit_code",
    "resolve_fail_on",
    "scan",
    "scan_documents",
    "selection_of",
]
