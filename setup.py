"""Packaging detail pyproject.toml cannot express: ship the top-level checks/ folder
(the Checkov policy pack) inside the package as ``scanner.checkov_pack``, so
``nhi-guard checkov-dir`` can point Checkov at it after a pip install."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["scanner", "scanner.*"]), "scanner.checkov_pack"],
    package_dir={"scanner.checkov_pack": "checks"},
)
