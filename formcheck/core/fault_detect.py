"""Fault detection over an analysed set: fills each rep's `faults` and returns the set verdict."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from formcheck.core.fault_config import FaultConfig

if TYPE_CHECKING:  # pragma: no cover
    from formcheck.core.analyze import Analysis

DETECTORS: frozenset[str] = frozenset()  # fault ids with a detector (the rest are reported as not checked)


@dataclass
class SetVerdict:
    stop_set: dict | None = None  # {"rep": n, "reason": "..."} or None
    summary: dict = field(default_factory=dict)


def detect_faults(analysis: "Analysis", cfg: FaultConfig) -> SetVerdict:
    """Append detected faults to analysis.reps[i].faults; return the set-level verdict."""
    return SetVerdict()
