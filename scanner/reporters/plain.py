"""Text from scanned code, made inert for report viewers that render plain text as they see fit.

GitLab's merge request widget, Jenkins, Azure DevOps and GitLab's test report pages show a Code
Quality description or a JUnit failure as text, but several of them turn ``https://...`` and
``www.`` into links, and GitLab turns ``@name`` into a mention. A resource address carries
``for_each`` keys and a message can quote a tag value, both written by whoever wrote the scanned
code, so :func:`inert` defangs them the way security tools do (``https[:]//``, ``www[.]``,
``[@]name``) and shows control characters escaped. It changes nothing in ordinary messages.
"""

from __future__ import annotations

import re

from scanner.reporters.control import visible

_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)(www)\.")
_MENTION = re.compile(r"@(?=[\w-])")


def inert(text: str) -> str:
    text = _SCHEME.sub(r"\1[:]", visible(text))
    text = _WWW.sub(r"\1[.]", text)
    return _MENTION.sub("[@]", text)
