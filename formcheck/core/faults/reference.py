"""What each rep is compared with: the other reps of its view (their typical bottom, travel, best rise, peak
lowering speed and lowering pace), and the numbers each rep has against them (reported per rep under `vs_set`).

A rep is never part of its own reference: a bounce is judged against the set's other lowerings, so one fast rep
among few (the live tracker's first reps) is not hidden by its own speed; a rep with no other rep in its view
has no reference (its `vs_set` numbers are None and the faults that read them are not judged)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from formcheck.core.reps.metrics import RepNumbers, r
from formcheck.core.signal.filters import nanmedian

PACE_MIN_TRAVEL = 0.5  # a rep's travel counts as at least this share of the set's typical travel (pace)


@dataclass(frozen=True)
class SetRef:
    """One view's reps: typical bottom level, typical travel (top - bottom), best rise (above the typical
    bottom), typical peak lowering speed and typical lowering pace (that speed per unit of travel, see pace)."""

    bottom: float
    travel: float
    best_rise: float
    lowering_speed: float
    lowering_pace: float


@dataclass(frozen=True)
class VsSet:
    """One rep against its view's reps (rounded as reported)."""

    rise_vs_best: float | None  # its top above the set's typical bottom, as a fraction of the set's best
    bottom_above_set: float | None  # where its lowering ended above the set's typical bottom, x typical travel
    lowering_speed_vs_set: float | None  # the lesser of its peak lowering speed and its pace over the set's

    def to_dict(self) -> dict:
        return asdict(self)


def best_of(values: np.ndarray) -> float:
    """The second largest value (the median for fewer than 3): one high rep does not set it."""
    if len(values) < 3:
        return float(np.median(values))
    return float(np.sort(values)[-2])


def pace(n: RepNumbers, min_travel: float = 0.0) -> float | None:
    """The lowering's peak speed per unit of the rep's own travel (top to bottom), 1/s: how quickly it drops for
    its size. The travel counts as at least min_travel (PACE_MIN_TRAVEL of the set's typical travel), so a
    lowering of a few noisy pixels does not read as a headlong drop.

    A bounce must be quicker than the set's lowerings both ways (vs_set.lowering_speed_vs_set is the lesser
    ratio): a full rep among short ones (short tops, shallow bottoms) covers more ground in the same time, so its
    peak speed is higher but its pace is not; a short rep lowered at the set's speed has a higher pace but not a
    higher speed."""
    if n.lowering_speed is None or n.top_level is None or n.bottom_level is None or n.top_level <= n.bottom_level:
        return None
    return n.lowering_speed / max(n.top_level - n.bottom_level, min_travel)


def set_reference(reps: list[RepNumbers]) -> SetRef:
    """The reference of these reps (one view's, without the rep judged: levels differ between views)."""
    ok = [n for n in reps if n.top_level is not None and n.bottom_level is not None]
    if not ok:
        return SetRef(math.nan, math.nan, math.nan, math.nan, math.nan)
    bottom = float(np.median([n.bottom_level for n in ok]))
    travel = float(np.median([n.top_level - n.bottom_level for n in ok]))
    speeds = [n.lowering_speed for n in ok if n.lowering_speed is not None]
    paces = [p for p in (pace(n, PACE_MIN_TRAVEL * travel) for n in ok) if p is not None]
    rises = np.array([n.top_level - bottom for n in ok])
    return SetRef(bottom, travel, best_of(rises), nanmedian(speeds), nanmedian(paces))


def lesser(a: float, b: float) -> float:
    """The smaller of a and b; NaN if either is."""
    return min(a, b) if math.isfinite(a) and math.isfinite(b) else math.nan


def versus_others(reps: list[RepNumbers], views: list[str]) -> list[VsSet]:
    """Each rep against the other reps of its view."""
    return [
        vs_set(n, set_reference([o for j, (o, w) in enumerate(zip(reps, views)) if j != k and w == v]))
        for k, (n, v) in enumerate(zip(reps, views))
    ]


def vs_set(n: RepNumbers, ref: SetRef) -> VsSet:
    def ratio(a: float | None, b: float) -> float:
        return a / b if a is not None and b > 0 else math.nan

    speed = ratio(n.lowering_speed, ref.lowering_speed)
    by_pace = ratio(pace(n, PACE_MIN_TRAVEL * ref.travel), ref.lowering_pace)
    return VsSet(
        rise_vs_best=r(ratio(None if n.top_level is None else n.top_level - ref.bottom, ref.best_rise), 2),
        bottom_above_set=r(ratio(None if n.bottom_level is None else n.bottom_level - ref.bottom, ref.travel), 2),
        lowering_speed_vs_set=r(lesser(speed, by_pace), 2),
    )
