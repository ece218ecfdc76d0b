"""Calf-raise renderer (development tool; extra `render`): python -m tools.render --help."""
