"""Loaders turn one input format into :class:`scanner.model.resource.Resource` objects."""
