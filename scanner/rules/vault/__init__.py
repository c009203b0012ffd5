"""vault rules."""
