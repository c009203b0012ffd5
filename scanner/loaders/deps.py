"""What a loaded configuration read besides the files of the scanned directory.

A root module's result depends on more than its own ``.tf`` files: the modules it calls (which
may live outside the scanned path), ``.terraform/modules/modules.json`` and the files read by
``file()`` and ``templatefile()``. Each is recorded, when it is read, as a key
(``file:<path>`` or ``dir:<path>``) and a digest of what was found; a cached result is reused
only while every recorded digest still matches (scanner/loaders/module_cache.py,
scanner/pipeline/report_cache.py). A file that was looked for and not found is recorded too:
creating it later changes the result.

Kept free of parser imports, like scanner/loaders/discover.py.
"""

from __future__ import annotations

import hashlib
import os
import stat

from scanner.loaders.discover import MAX_TEXT_BYTES, TF_SUFFIXES

ABSENT = "absent"
UNREADABLE = "unreadable"


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: str) -> str:
    """The digest of a regular file's content, :data:`ABSENT` or :data:`UNREADABLE`."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return UNREADABLE
        with open(path, "rb") as fh:
            return digest_bytes(fh.read(MAX_TEXT_BYTES + 1))  # as much as the loaders read
    except FileNotFoundError:
        return ABSENT
    except OSError:
        return UNREADABLE


def listing_digest(directory: str) -> str:
    """The digest of which Terraform files a directory holds (their names, not their content)."""
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(TF_SUFFIXES))
    except FileNotFoundError:
        return ABSENT
    except OSError:
        return UNREADABLE
    return digest_bytes("\0".join(names).encode("utf-8", "surrogateescape"))


def current(key: str) -> str:
    kind, _, path = key.partition(":")
    return listing_digest(path) if kind == "dir" else file_digest(path)


def still_valid(depends: dict[str, str]) -> bool:
    """True when every recorded dependency still has the digest it had when it was read."""
    return all(current(key) == digest for key, digest in depends.items())
