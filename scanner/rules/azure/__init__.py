"""azure rules."""
