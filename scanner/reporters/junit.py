"""JUnit XML for the test report pages of Jenkins, Azure DevOps (``PublishTestResults@2``) and
GitLab (``artifacts:reports:junit``).

* one ``<testsuite>`` per scanned file that has findings or non-human identities;
* one ``<testcase>`` per rule and resource that has findings (``classname`` the rule ID, ``name``
  the resource address), failing with a ``<failure>`` that lists each finding's line, message
  and fix;
* one passing ``<testcase>`` (``classname`` ``nhi-guard``) per identity, credential, secret or
  grant of the inventory that has no finding, so a clean scan shows what passed;
* each input error is a ``<testcase>`` with an ``<error>`` in a suite named after its file;
* a scan with none of these still has one passing test case, so the report is never empty.

Counts (``tests``, ``failures``, ``errors``) are on every suite and on ``<testsuites>``. Text from
scanned code goes through :func:`~scanner.reporters.plain.inert`; characters XML 1.0 cannot hold
are shown escaped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from scanner.model.report import ErrorEntry, Finding, Report
from scanner.reporters.plain import inert

#: what XML 1.0 cannot hold, after inert() has escaped the C0 controls: surrogates, U+FFFE, U+FFFF
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
PASSING_CLASS = "nhi-guard"


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", inert(value))


def _attr(value: str) -> str:
    return quoteattr(_text(value))


class _Suite:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cases: list[str] = []
        self.failures = 0
        self.errors = 0

    def xml(self) -> str:
        head = (
            f"  <testsuite name={_attr(self.name)} tests=\"{len(self.cases)}\" failures=\"{self.failures}\" "
            f"errors=\"{self.errors}\" skipped=\"0\" time=\"0\">"
        )
        return "\n".join([head, *self.cases, "  </testsuite>"])


def _failure(rule_id: str, resource: str, group: list[Finding]) -> str:
    first = group[0]
    lines = [_text(line) for f in group for line in (f"{f.file}:{f.line}: {f.message}", f"fix: {f.remediation}")]
    lines.append(f"docs: {first.help_uri}")  # ours, not from scanned code
    return (
        f"    <testcase name={_attr(resource)} classname={_attr(rule_id)} time=\"0\">\n"
        f"      <failure message={_attr(f'{rule_id} {first.title}')} type={_attr(str(first.severity))}>"
        f"{escape(chr(10).join(lines))}</failure>\n"
        "    </testcase>"
    )


def _passing(name: str) -> str:
    return f"    <testcase name={_attr(name)} classname=\"{PASSING_CLASS}\" time=\"0\"/>"


def _error(e: ErrorEntry) -> str:
    where = f"{e.file}:{e.line}" if e.line else e.file
    return (
        f"    <testcase name={_attr(f'input {where}')} classname=\"{PASSING_CLASS}.input\" time=\"0\">\n"
        f"      <error message={_attr(e.message)} type=\"input-error\">{escape(_text(f'{where}: {e.message}'))}"
        "</error>\n"
        "    </testcase>"
    )


def render(report: Report, color: bool = False) -> str:
    suites: dict[str, _Suite] = {}

    def suite(name: str) -> _Suite:
        return suites.setdefault(name, _Suite(name))

    groups: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[(f.file, f.rule_id, f.resource)].append(f)
    flagged = {(f.file, f.resource) for f in report.findings}
    for (file, rule_id, resource), group in groups.items():
        s = suite(file)
        s.cases.append(_failure(rule_id, resource, group))
        s.failures += 1
    for item in report.inventory:
        if (item.file, item.resource) not in flagged:
            suite(item.file).cases.append(_passing(item.resource))
    for e in report.errors:
        s = suite(e.file)
        s.cases.append(_error(e))
        s.errors += 1
    if not suites:
        suite("nhi-guard").cases.append(_passing("no non-human identity findings"))
    ordered = [suites[k] for k in sorted(suites)]
    tests = sum(len(s.cases) for s in ordered)
    failures = sum(s.failures for s in ordered)
    errors = sum(s.errors for s in ordered)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="nhi-guard" tests="{tests}" failures="{failures}" errors="{errors}" time="0">',
        *(s.xml() for s in ordered),
        "</testsuites>",
    ]
    return "\n".join(lines) + "\n"
