"""The AWS IAM engine: action catalogue, per-principal permissions, escalation methods.

Everything here is data-driven and loads its data lazily: importing the package
costs nothing until a rule asks a question that needs the catalogue.
"""
