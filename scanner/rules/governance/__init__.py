"""governance rules."""
