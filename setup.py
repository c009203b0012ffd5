"""Packaging detail pyproject.toml cannot express: ship the top-level checks/ folder
(the Checkov policy pack) inside the package as ``scanner.checkov_pack``, so
``nhi-guard checkov-dir`` can point Checkov at it after a pip install."""

from setuptools import find_namespace_packages, setup

setup(
    # namespace discovery: scanner/data holds only data files, and is a package all the same
    packages=[
        *find_namespace_packages(include=["scanner", "scanner.*"], exclude=["*.__pycache__"]),
        "scanner.checkov_pack",
    ],
    package_dir={"scanner.checkov_pack": "checks"},
)
