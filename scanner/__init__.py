"""nhi-guard: stop risky non-human identities from merging.

The documented Python API is :mod:`scanner.api`; everything else is internal.
"""

from pathlib import Path

__version__ = "0.1.0"

#: the installed package's own directory (its ``data/`` files, its source for cache keys)
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
