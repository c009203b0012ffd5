"""Loaders turn one input format into :class:`scanner.model.Resource` objects."""
