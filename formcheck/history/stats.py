"""Progress per side over time and the left-vs-right comparison (pure: records in, numbers out).

Asymmetry, exactly: for each measure, each side's value is the median over that side's latest
RECENT_SETS sets (sets with no value for the measure are left out); the asymmetry is
|left - right| / max(|left|, |right|) x 100 (0 when both are 0), i.e. 100 minus the limb
symmetry index (smaller side / larger side). It is flagged when above ASYMMETRY_FLAG_PCT.
Sets on both feet at once (side 'both') are shown over time but not compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import mean, median

from formcheck.history.sets import SetRecord

RECENT_SETS = 3
ASYMMETRY_FLAG_PCT = 10.0
SIDES = ("left", "right")
# (attribute of SetStats, label, unit): the measures tracked over time and compared left vs right
MEASURES = (
    ("reps", "reps per set", ""),
    ("clean_reps", "clean reps per set", ""),
    ("heel_deg", "heel range", "deg, foot angle"),
    ("heel_shank", "heel range", "shank lengths"),
    ("eccentric_s", "lowering time per rep", "s"),
)


@dataclass(frozen=True)
class SetStats:
    """One set reduced to the tracked numbers (rep means over the reps that have the measure)."""

    set_id: int
    athlete: str
    side: str
    performed_at: datetime
    reps: int
    clean_reps: int | None
    heel_deg: float | None
    heel_shank: float | None
    eccentric_s: float | None
    main_fault: str | None
    stop_set_rep: int | None
    source: str | None


@dataclass(frozen=True)
class SideComparison:
    measure: str
    label: str
    unit: str
    left: float | None
    right: float | None
    asymmetry_pct: float | None
    flagged: bool
    lower_side: str | None  # the side with the smaller value (None when equal or unknown)
    n_left: int
    n_right: int


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(mean(vals)) if vals else None


def set_stats(record: SetRecord) -> SetStats:
    reps = record.reps
    return SetStats(
        record.set_id,
        record.athlete,
        record.side,
        record.performed_at,
        record.rep_count,
        record.clean_reps,
        _mean(r.heel_angle_deg for r in reps),
        _mean(r.heel_shank_frac for r in reps),
        _mean(r.eccentric_s for r in reps),
        record.main_fault,
        record.stop_set_rep,
        record.source,
    )


def by_side(stats: Iterable[SetStats]) -> dict[str, list[SetStats]]:
    """Sets per side, oldest first."""
    out: dict[str, list[SetStats]] = {}
    for s in sorted(stats, key=lambda s: (s.performed_at, s.set_id)):
        out.setdefault(s.side, []).append(s)
    return out


def most_frequent_fault(records: Iterable[SetRecord]) -> str | None:
    """The fault id seen on the most reps (ties: alphabetical), or None for no faults."""
    counts = Counter(f for rec in records for rep in rec.reps for f in rep.faults)
    if not counts:
        return None
    return min(counts, key=lambda f: (-counts[f], f))


def asymmetry_pct(left: float | None, right: float | None) -> float | None:
    if left is None or right is None:
        return None
    big = max(abs(left), abs(right))
    return 0.0 if big == 0 else abs(left - right) / big * 100.0


def compare_sides(
    stats: Iterable[SetStats], recent: int = RECENT_SETS, flag_pct: float = ASYMMETRY_FLAG_PCT
) -> list[SideComparison]:
    """Left vs right on every measure (see the module doc for the exact definition)."""
    sides = by_side(stats)
    latest = {side: sides.get(side, [])[-recent:] for side in SIDES}
    rows = []
    for attr, label, unit in MEASURES:
        vals = {side: [getattr(s, attr) for s in latest[side] if getattr(s, attr) is not None] for side in SIDES}
        left, right = (float(median(vals[s])) if vals[s] else None for s in SIDES)
        pct = asymmetry_pct(left, right)
        lower = None if pct in (None, 0.0) else ("left" if left < right else "right")
        rows.append(
            SideComparison(
                attr,
                label,
                unit,
                left,
                right,
                pct,
                pct is not None and pct > flag_pct,
                lower,
                len(vals["left"]),
                len(vals["right"]),
            )
        )
    return rows
