"""nhi-guard as a Checkov policy pack: ``checkov --external-checks-dir <this directory>``.

This file only finds the ``scanner`` package and registers one Checkov check per
nhi-guard rule; the rules themselves live in ``scanner/rules``. It works from a git
clone (``--external-checks-git``; ``scanner/`` is a sibling of this directory) and
from an installed nhi-guard (this directory ships inside the package as
``scanner/checkov_pack``). ``scanner`` is loaded from that exact location without
putting its parent on ``sys.path``, so nothing else from nhi-guard's environment
(such as python-hcl2) can shadow Checkov's own packages.
"""

import importlib.util
import os
import sys


def _load_scanner():
    if "scanner" in sys.modules and hasattr(sys.modules["scanner"], "__path__"):
        return sys.modules["scanner"]
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, os.pardir, "scanner"), os.path.join(here, os.pardir)):
        init = os.path.join(os.path.normpath(candidate), "__init__.py")
        if os.path.isfile(init) and os.path.isdir(os.path.join(os.path.dirname(init), "rules")):
            spec = importlib.util.spec_from_file_location("scanner", init,
                                                          submodule_search_locations=[os.path.dirname(init)])
            module = importlib.util.module_from_spec(spec)
            sys.modules["scanner"] = module
            spec.loader.exec_module(module)
            return module
    import scanner  # installed into Checkov's environment (pip install --no-deps nhi-guard)

    return scanner


_load_scanner()

from scanner.integrations.checkov.registration import register  # noqa: E402

REGISTERED = register()
