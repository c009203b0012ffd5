"""Run nhi-guard rules as Checkov checks.

Checkov hands a check its own ``conf`` and a graph of every block. This package
turns those into the scanner's resource model (``conf.py``, ``graph_model.py``)
and registers one thin Checkov check per rule (``registration.py``). Nothing
here imports python-hcl2: the pack runs inside Checkov's environment, where
bc-python-hcl2 owns the ``hcl2`` package.
"""
