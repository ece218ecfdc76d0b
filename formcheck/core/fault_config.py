"""Thresholds of the fault detectors (typed, frozen; documented in formcheck/default_config.toml)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultConfig:
    """Filled in by the fault detectors (issue 5); every threshold is on MediaPipe's scale."""

    enabled: bool = True
