"""Development tools (not part of the formcheck package)."""
