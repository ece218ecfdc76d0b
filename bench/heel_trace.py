"""Reading a heel trace the way bench/foot_track.py compares tracks: phase edges where the low-passed heel's
speed crosses a share of the rep's peak speed (the analysis's rule), their errors against the truth, and the
heel's travel per rep against the truth's."""

from __future__ import annotations

import numpy as np

from formcheck.core.signal.filters import lowpass

LOWPASS_HZ = 6.0  # the analysis's cleaning low-pass
EDGE_FRAC = 0.05  # the analysis's phase_velocity_frac


def phase_edges(t: np.ndarray, y: np.ndarray, reps: list[dict]) -> list[dict | None]:
    """Per labelled rep, where the heel's speed crosses EDGE_FRAC of the rep's peak rise/fall speed:
    top_start, top_end, bottom (reaches the bottom), bottom_end (leaves it for the next rise)."""
    ok = np.isfinite(y)
    if ok.sum() < 10:
        return [None] * len(reps)
    h = -lowpass(t, np.interp(t, t[ok], y[ok]), LOWPASS_HZ)
    v = np.gradient(h, t)
    win = lambda a, b: np.flatnonzero((t >= a) & (t <= b))
    out: list[dict | None] = []
    for i, r in enumerate(reps):
        rise, fall = win(r["t_start"] - 0.3, r["t_top_start"] + 0.2), win(r["t_top_end"] - 0.2, r["t_bottom"] + 0.2)
        if len(rise) < 3 or len(fall) < 3 or not (ok[rise].all() and ok[fall].all()):
            out.append(None)
            continue
        up, down = rise[np.argmax(v[rise])], fall[np.argmin(v[fall])]
        edges = {
            "top_start": _crossing(t, v, up, down, EDGE_FRAC * v[up]),
            "top_end": _crossing(t, v, down, up, EDGE_FRAC * v[down]),
            "bottom": _crossing(t, v, down, len(t) - 1, EDGE_FRAC * v[down]),
        }
        nxt = reps[i + 1] if i + 1 < len(reps) else None
        nrise = win(nxt["t_start"] - 0.3, nxt["t_top_start"] + 0.2) if nxt else []
        if len(nrise) >= 3 and ok[nrise].all():
            nup = nrise[np.argmax(v[nrise])]
            edges["bottom_end"] = _crossing(t, v, nup, down, EDGE_FRAC * v[nup])
        out.append(edges)
    return out


def _crossing(t: np.ndarray, v: np.ndarray, i0: int, i1: int, level: float) -> float:
    """Walking from i0 toward i1, the (interpolated) time v stops being beyond level (level's sign: which side)."""
    step = 1 if i1 >= i0 else -1
    beyond = (lambda x: x > level) if level > 0 else (lambda x: x < level)
    prev = i0
    for k in range(i0, i1 + step, step):
        if not beyond(v[k]):
            a, b = v[prev], v[k]
            part = 0.0 if a == b else (a - level) / (a - b)
            return float(t[prev] + part * (t[k] - t[prev]))
        prev = k
    return float(t[i1])


def timing_errors(t: np.ndarray, y: np.ndarray, reps: list[dict]) -> dict[str, list[float]]:
    errs: dict[str, list[float]] = {k: [] for k in ("top_start", "top_end", "bottom", "top_hold", "bottom_pause")}
    for r, e in zip(reps, phase_edges(t, y, reps), strict=True):
        if e is None:
            continue
        errs["top_start"].append(e["top_start"] - r["t_top_start"])
        errs["top_end"].append(e["top_end"] - r["t_top_end"])
        errs["bottom"].append(e["bottom"] - r["t_bottom"])
        errs["top_hold"].append((e["top_end"] - e["top_start"]) - (r["t_top_end"] - r["t_top_start"]))
        if "bottom_end" in e:
            errs["bottom_pause"].append((e["bottom_end"] - e["bottom"]) - (r["t_end"] - r["t_bottom"]))
    return errs


def read_alike_errors(t: np.ndarray, y: np.ndarray, ty: np.ndarray, reps: list[dict]) -> dict[str, list[float]]:
    """Top hold and bottom pause read from the trace minus the same read from the true trace (the same rule on
    both): the trace's own share of the error, without the rule's (a ramp whose ends are very gradual, as
    min-jerk ones are, is read short of its truth's zero-speed ends)."""
    out: dict[str, list[float]] = {"top_hold": [], "bottom_pause": []}
    for e, f in zip(phase_edges(t, y, reps), phase_edges(t, ty, reps), strict=True):
        if e is None or f is None:
            continue
        out["top_hold"].append((e["top_end"] - e["top_start"]) - (f["top_end"] - f["top_start"]))
        if "bottom_end" in e and "bottom_end" in f:
            out["bottom_pause"].append((e["bottom_end"] - e["bottom"]) - (f["bottom_end"] - f["bottom"]))
    return out


def timing_cells(errs: dict[str, list[float]]) -> str:
    med = lambda xs: float(np.median(np.abs(xs))) if xs else float("nan")
    sgn = lambda xs: float(np.median(xs)) if xs else float("nan")
    return (
        f"top start {med(errs['top_start']):.2f}  end {med(errs['top_end']):.2f}  bottom {med(errs['bottom']):.2f}"
        f"  | hold {sgn(errs['top_hold']):+.2f}/{med(errs['top_hold']):.2f}"
        f"  pause {sgn(errs['bottom_pause']):+.2f}/{med(errs['bottom_pause']):.2f}"
    )


def amplitude(t: np.ndarray, y: np.ndarray, ty: np.ndarray, reps: list[dict]) -> float:
    ok = np.isfinite(y)
    if ok.sum() < 10:
        return float("nan")
    yf = lowpass(t, np.interp(t, t[ok], y[ok]), LOWPASS_HZ)
    tf = lowpass(t, ty, LOWPASS_HZ)
    ratios = []
    for r in reps:
        m = (t >= r["t_start"]) & (t <= r["t_end"])
        if m.sum() > 5 and np.ptp(tf[m]) > 0:
            ratios.append(np.ptp(yf[m]) / np.ptp(tf[m]))
    return float(np.median(ratios)) if ratios else float("nan")
