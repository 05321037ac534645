"""Migration scripts, oldest first: each one is written out, never generated at run time."""
