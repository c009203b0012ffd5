"""CODEOWNERS: who owns a file, as GitHub decides it.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS`` at the
repository root. Each line is a gitignore-style pattern and owners (``@login``, ``@org/team`` or
an email); the *last* matching line wins, and a pattern without owners leaves the file unowned.
The repository root is the nearest directory above the file that holds a ``.git``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class CodeOwners:
    path: Path
    root: Path
    rules: tuple[tuple[re.Pattern[str], tuple[str, ...], int], ...]

    def owners_of(self, file: str | Path) -> tuple[tuple[str, ...], int] | None:
        """(owners, line of the rule) for a file below the root; None when no rule matches it."""
        try:
            rel = Path(file).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        found = None
        for pattern, owners, line in self.rules:
            if pattern.search(rel):
                found = (owners, line)
        return found


def find_codeowners(file: str | Path) -> CodeOwners | None:
    """The CODEOWNERS that governs ``file``: the repository root's, or None."""
    start = Path(file).resolve()
    for folder in (start if start.is_dir() else start.parent, *start.parents):
        if (folder / ".git").exists():
            return _load(folder)
    return None


def _load(root: Path) -> CodeOwners | None:
    for name in LOCATIONS:
        path = root / name
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            return CodeOwners(path, root, tuple(parse(text)))
    return None


def parse(text: str) -> list[tuple[re.Pattern[str], tuple[str, ...], int]]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        pattern, *owners = line.split()
        out.append((_regex(pattern.replace("\\ ", " ")), tuple(owners), number))
    return out


def _regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-style pattern as a regex over a path relative to the root (``/`` separators)."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    # a pattern names a file or a directory (and everything below it); `dir/` only a directory;
    # `docs/*` only the files directly in docs (GitHub's reading of CODEOWNERS)
    suffix = "$" if body.endswith("/*") else "/.*$" if directory else "(?:/.*)?$"
    return re.compile(prefix + "".join(out) + suffix)
