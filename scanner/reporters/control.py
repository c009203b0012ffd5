"""Control characters from scanned code, made visible before they reach a terminal or a page.

A ``for_each`` key, a file name or a tag value can hold ``ESC [2J`` or a carriage return. Printed
as is, they repaint the reviewer's terminal or hide a line; click strips ANSI sequences only
when the output is not a terminal, and not at all with colour on. JSON and SARIF escape them
already (``\\u001b``); the text and Markdown reports use :func:`visible`.
"""

from __future__ import annotations

#: C0 controls but tab, DEL and the C1 controls: shown as ``\\x1b``
_TABLE = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if i != 0x09}


def visible(text: str) -> str:
    return text.translate(_TABLE)
