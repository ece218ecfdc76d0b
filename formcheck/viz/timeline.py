"""Per-frame overlay states from a finished analysis (the annotated video's script).

`StateTimeline.from_report(report)` answers `state_at(frame_index)` for every input frame: reps
completed so far, the phase from the reps' phase times and the time spent in it, the heel gauge
(0 = the set's bottom, 1 = its top, per view), fault banners over each fault's span (held at least
BANNER_MIN_S so a person can read them) and hints (framing, faults the current view cannot show).
Built from plain arrays and report dicts; numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.core.faults.catalogue import FAULTS
from formcheck.viz.labels import TEMPO_CUES, fault_banner, fault_noun, look_banner
from formcheck.viz.overlay import LEG_POINTS, OverlayState

BANNER_MIN_S = 1.5
REP_TIMES = ("t_start", "t_top_start", "t_top_end", "t_bottom", "t_end")
PHASE_ORDER = ("rise", "top", "lower", "bottom")  # between consecutive REP_TIMES


@dataclass(frozen=True)
class Banner:
    t_from: float
    t_to: float
    text: str
    severity: str


class StateTimeline:
    """OverlayState for each input frame of an analysed clip.

    frames: (T,) source frame index of each row; t: (T,) seconds; leg_xy: (T, 5, 2) working-leg pixels
    (LEG_POINTS order, NaN unseen); found: (T,) pose found; gauge: (T,) 0..1 or NaN; reps, views: the
    report's dicts.
    """

    def __init__(
        self,
        frames: np.ndarray,
        t: np.ndarray,
        leg_xy: np.ndarray,
        found: np.ndarray,
        gauge: np.ndarray,
        reps: list[dict[str, Any]],
        views: list[dict[str, Any]],
        side: str | None = None,
    ) -> None:
        n = len(t)
        if leg_xy.shape != (n, len(LEG_POINTS), 2) or frames.shape != (n,) or gauge.shape != (n,):
            raise ValueError(
                f"frames, t, gauge must be (T,) and leg_xy (T, 5, 2) with T={n}, got "
                f"{frames.shape}, {gauge.shape}, {leg_xy.shape}"
            )
        self.frames, self.t, self.leg_xy, self.found, self.gauge = frames, t, leg_xy, found, gauge
        self.side = side
        self.reps = sorted(reps, key=lambda r: r["t_start"])
        self._times = np.array([[r[k] for k in REP_TIMES] for r in self.reps], float).reshape(-1, len(REP_TIMES))
        self._done = np.sort(self._times[:, 3])
        self.banners = fault_banners(self.reps)
        self.views = views
        self._view_hints = {v["view"]: view_hint(v["view"]) for v in views}

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def from_report(cls, report: Any, data: dict[str, Any] | None = None) -> StateTimeline:
        """From a formcheck.api.Report (data: its to_dict(), if already made)."""
        data = data if data is not None else report.to_dict()
        a, series = report.analysis, report.series
        side = a.signal_side
        idx = [LEG_INDEX[side][p] for p in LEG_POINTS]
        gauge = gauge_signal(a.t, a.h, data["reps"])
        return cls(
            np.asarray(series.frame),
            np.asarray(a.t),
            a.tracks.xy[:, idx],
            np.asarray(series.found),
            gauge,
            data["reps"],
            data["views"],
            side,
        )

    def row_of(self, frame_index: int) -> int:
        """The row of a source frame (the nearest earlier one if that frame has no row)."""
        k = int(np.searchsorted(self.frames, frame_index, side="right")) - 1
        return min(max(k, 0), len(self.frames) - 1)

    def state_at(self, frame_index: int) -> OverlayState:
        i = self.row_of(frame_index)
        t = float(self.t[i])
        leg = tuple(None if not np.all(np.isfinite(p)) else (float(p[0]), float(p[1])) for p in self.leg_xy[i])
        leg = leg if any(p is not None for p in leg) else None
        g = float(self.gauge[i])
        phase, phase_s, rep = self.phase_at(t)
        cue = None
        if rep is not None:
            cue = next(
                (
                    word
                    for f in rep.get("faults", [])
                    for ph, word in [TEMPO_CUES.get(f["id"], ("", ""))]
                    if ph == phase
                ),
                None,
            )
        return OverlayState(
            leg=leg,
            side=self.side,
            gauge=g if np.isfinite(g) else None,
            reps=int(np.searchsorted(self._done, t, side="right")),
            phase=phase,
            phase_s=phase_s,
            tempo_cue=cue,
            faults=self.banners_at(t),
            hints=self.hints_at(i, t, leg),
        )

    def phase_at(self, t: float) -> tuple[str | None, float | None, dict[str, Any] | None]:
        """(phase, seconds in it, the rep) at time t; (None, None, None) outside reps."""
        k = int(np.searchsorted(self._times[:, 0], t, side="right")) - 1
        if k < 0 or t >= self._times[k, -1]:
            return None, None, None
        j = int(np.searchsorted(self._times[k], t, side="right")) - 1
        return PHASE_ORDER[j], round(t - float(self._times[k, j]), 3), self.reps[k]

    def banners_at(self, t: float) -> tuple[tuple[str, str], ...]:
        """The banners up at time t, the newest first."""
        return tuple((b.text, b.severity) for b in reversed(self.banners) if b.t_from <= t < b.t_to)

    def hints_at(self, row: int, t: float, leg: tuple | None) -> tuple[str, ...]:
        hints = []
        if not self.found[row]:
            hints.append("no person found - keep the whole body in view")
        elif leg is None or any(p is None for p in leg):
            hints.append("working leg not fully visible - keep hips to toes in view")
        view = next((v["view"] for v in self.views if v["t_start"] <= t <= v["t_end"]), None)
        if view is not None and self._view_hints.get(view):
            hints.append(self._view_hints[view])
        return tuple(hints)


def _leg_index() -> dict[str, dict[str, int]]:
    from formcheck.core.landmarks import INDEX

    return {s: {p: INDEX[f"{s}_{p}"] for p in LEG_POINTS} for s in ("left", "right")}


LEG_INDEX = _leg_index()


def fault_banners(reps: list[dict[str, Any]], min_s: float = BANNER_MIN_S) -> list[Banner]:
    """One banner per fault, over its span and at least min_s long, in order of start."""
    out = [
        Banner(
            float(f["t_start"]),
            max(float(f["t_end"]), float(f["t_start"]) + min_s),
            f"Rep {r['index']}: {fault_banner(f['id'])}",
            f.get("severity", "minor"),
        )
        for r in reps
        for f in r.get("faults", [])
    ]
    out += [
        Banner(
            float(f["t_start"]),
            max(float(f["t_end"]), float(f["t_start"]) + min_s),
            f"Rep {r['index']}: {look_banner(f)}",
            "look",
        )
        for r in reps
        for f in r.get("uncertain", [])
    ]
    return sorted(out, key=lambda b: b.t_from)


def view_hint(view: str) -> str:
    """'side view: hip level not checked' - the checked faults this view cannot show (empty if none)."""
    missing = [fault_noun(s.id) for s in FAULTS if not s.unchecked and view not in s.views]
    return f"{view} view: {', '.join(missing)} not checked" if missing else ""


def gauge_signal(t: np.ndarray, h: np.ndarray, reps: list[dict[str, Any]], clip: bool = True) -> np.ndarray:
    """Heel height scaled per view to 0 = the set's bottom and 1 = its top (median of the reps'
    lowest and highest points), clipped to [0, 1] unless clip=False; NaN where the heel signal is unknown."""
    out = np.full(len(t), np.nan)
    by_view: dict[str, list[tuple[float, float]]] = {}
    for r in reps:
        top = _extreme(t, h, r["t_start"], r["t_bottom"], np.nanmax)
        low = _extreme(t, h, r["t_top_end"], r["t_end"], np.nanmin)
        if np.isfinite(top) and np.isfinite(low) and top > low:
            by_view.setdefault(r.get("view", ""), []).append((low, top))
    if not by_view:
        return out
    levels = {v: (float(np.median([a for a, _ in x])), float(np.median([b for _, b in x]))) for v, x in by_view.items()}
    overall = (float(np.median([a for a, _ in levels.values()])), float(np.median([b for _, b in levels.values()])))
    view_at = _view_per_row(t, reps)
    for v in set(view_at):
        low, top = levels.get(v, overall)
        rows = view_at == v
        scaled = (h[rows] - low) / (top - low)
        out[rows] = np.clip(scaled, 0.0, 1.0) if clip else scaled
    return out


def _extreme(t: np.ndarray, h: np.ndarray, t0: float, t1: float, fn: Any) -> float:
    sl = slice(int(np.searchsorted(t, t0)), int(np.searchsorted(t, t1, side="right")))
    seg = h[sl]
    return float(fn(seg)) if seg.size and np.isfinite(seg).any() else float("nan")


def _view_per_row(t: np.ndarray, reps: list[dict[str, Any]]) -> np.ndarray:
    """The view of the rep nearest in time, for each row (heights are scaled per view)."""
    views = np.array([r.get("view", "") for r in reps], dtype=object)
    mids = np.array([(r["t_start"] + r["t_end"]) / 2 for r in reps])
    nearest = np.abs(t[:, None] - mids[None, :]).argmin(axis=1) if len(mids) else np.zeros(len(t), int)
    return views[nearest]


def key_frames(
    frames: np.ndarray, t: np.ndarray, h: np.ndarray, reps: list[dict[str, Any]]
) -> dict[int, dict[str, int]]:
    """Each rep's top frame (highest heel in its top hold) and bottom frame (lowest heel in the bottom
    pause that ends it): {rep index: {"top": frame, "bottom": frame}}. Middle of the span if h is unknown."""
    out = {}
    for r in reps:
        out[int(r["index"])] = {
            "top": _frame_of(frames, t, h, r["t_top_start"], r["t_top_end"], np.nanargmax),
            "bottom": _frame_of(frames, t, h, r["t_bottom"], r["t_end"], np.nanargmin),
        }
    return out


def _frame_of(frames: np.ndarray, t: np.ndarray, h: np.ndarray, t0: float, t1: float, pick: Any) -> int:
    a, b = int(np.searchsorted(t, t0)), int(np.searchsorted(t, t1, side="right"))
    a, b = min(a, len(t) - 1), max(b, a + 1)
    seg = h[a:b]
    k = a + (int(pick(seg)) if np.isfinite(seg).any() else (b - a) // 2)
    return int(frames[min(k, len(frames) - 1)])
