"""Name a missing third-party package, instead of reporting an internal error.

nhi-guard can run where its dependencies were not installed with it: inside Checkov's
environment after ``pip install --no-deps nhi-guard`` there is no ``markdown-it-py`` and no
``google-re2``. Scanning a chat answer there is a usage problem with a one-line fix.
"""

from __future__ import annotations

#: import name -> the distribution that provides it (what to ``pip install``)
DISTRIBUTIONS = {
    "markdown_it": "markdown-it-py",
    "mdurl": "mdurl",
    "hcl2": "python-hcl2",
    "lark": "lark",
    "re2": "google-re2",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "click": "click",
    "tomli": "tomli",
}


def missing_package(exc: BaseException) -> str | None:
    """For an ImportError of a third-party package: "the Python package 'X' is not installed
    (pip install X)"; None for anything else (a missing module of nhi-guard itself is a bug)."""
    if not isinstance(exc, ImportError) or not exc.name:
        return None
    top = exc.name.split(".", 1)[0]
    if top == "scanner":
        return None
    dist = DISTRIBUTIONS.get(top, top)
    return f"the Python package '{dist}' is not installed (pip install {dist})"
