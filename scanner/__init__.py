"""nhi-guard: stop risky non-human identities from merging."""

__version__ = "0.1.0"
