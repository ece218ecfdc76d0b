"""formcheck: rep-by-rep form check for the Band Single Leg Calf Raise."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
