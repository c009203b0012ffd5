from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
#: every test scans "as of" this day, so fixture dates keep their meaning as time passes
TODAY = date(2026, 11, 1)

sys.path.insert(0, str(Path(__file__).parent))
