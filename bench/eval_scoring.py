"""Scoring formcheck's reps against true reps: matching by time, fault and tempo tallies (pure, no I/O).

Used by bench/evaluate.py; tested in tests/test_eval_scoring.py on hand-made cases.

Rep matching rule: a detected rep's top time is the middle of its top hold (t_top_start..t_top_end).
It belongs to the true rep whose [t_start - 0.25 s, t_bottom] holds that time.  When several detected
reps fall in one true rep, the one whose top is nearest the true top's middle is its match; the others
are extra reps.  True reps nobody matched are missed.

Fault tallies, per fault x view (x grade for injected faults):
- a true rep carrying the fault: found (tp) if its matched rep is flagged with it, else missed (fn; a
  missed rep misses its faults too; `nc` counts misses the report marked "not checked"; a bounce on a set's
  last rep, which formcheck does not judge by design, is counted apart, `na`, unless it was flagged);
- a flag on a rep whose true rep does not carry the fault, or on an extra rep: a false flag (fp), unless
  the true rep is "don't care" for it (see dont_care), or the rep is unmatched while the truth lists fewer
  reps than the clip has (partial hand labels): then it counts as neither;
- clean reps (no injected fault, matched): how many got any flag, and how many got each fault's flag.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")
PHASE_NAMES = {
    "concentric_s": "rise",
    "top_pause_s": "top hold",
    "eccentric_s": "lowering",
    "bottom_pause_s": "bottom pause",
}
LEAD_S = 0.25  # a detected top may sit this much before the true rep's start
# top holds shorter than this: a no_top_pause flag is neither right nor wrong. Real clean holds last 0.3-1.0 s and
# a subtle "no top pause" is a 0.1 s hold (../shared/mediapipe_notes.md); a quick demonstration tempo's 0.2 s hold
# is neither (until 2026-12-06 this was 0.2 s, and a flag on a 0.20-0.21 s hold, under the rule's own 0.225 s,
# counted as wrong)
SHORT_HOLD_S = 0.3
QUICK_LOWER_S = 1.0  # lowerings this quick (and not slower than the rise): fast_lowering is neither
# A rep whose true bottom pause is under BRIEF_PAUSE_S after a lowering at least QUICK_DROP_RATIO times quicker than
# its set's typical one meets bounce's own definition (a quick drop, no pause: docs/faults.md): bounce is neither
# there. The landmark-level series' quick "demo" sets pause 0.05-0.25 s at the bottom of every rep, so their
# injected fast lowerings are such drops; real clean bottom pauses last 0.3-1.0 s (../shared/mediapipe_notes.md).
BRIEF_PAUSE_S = 0.2
QUICK_DROP_RATIO = 1.2
# Faults formcheck does not judge on a set's last rep by design (its bottom pause is estimated: no next rise to
# bounce into; the fast drop is reported as fast_lowering): injected there they are counted apart (na), not as
# misses, so a grade's recall is not the share of it the set happened to put last.
LAST_REP_UNJUDGED = {"bounce"}


@dataclass
class TrueRep:
    """One true rep: its times, phase lengths, injected faults (id -> (grade, size)) and the fault ids a
    flag on it counts neither right nor wrong for."""

    t_start: float
    t_top_start: float
    t_top_end: float
    t_bottom: float
    t_end: float
    phases: dict[str, float | None]
    faults: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    dont_care: set[str] = field(default_factory=set)
    absent: set[str] | None = None  # faults checked absent (hand labels); None: every fault not injected
    set_lowering: float | None = None  # the median true lowering of its set's reps (s), where known

    @property
    def top_mid(self) -> float:
        return 0.5 * (self.t_top_start + self.t_top_end)


@dataclass
class Scored:
    """One clip or series: where it comes from, its true reps, and formcheck's report (or its error)."""

    source: str
    name: str
    split: str
    view: str
    truth: list[TrueRep]
    report: dict[str, Any] | None
    error: str | None = None
    naive_count: int | None = None
    true_count: int | None = None  # None: len(truth)
    counts_only: bool = False  # only the rep count is known (no per-rep truth)
    extra: dict[str, float] = field(default_factory=dict)  # e.g. landmark errors of a render
    motion: str = ""  # the true rises' and lowerings' shape ("min_jerk", "cosine"), "" when not known

    @property
    def n_true(self) -> int:
        return len(self.truth) if self.true_count is None else self.true_count

    @property
    def reps(self) -> list[dict[str, Any]]:
        return [] if self.report is None else self.report["reps"]


def dont_care(rep: TrueRep) -> set[str]:
    """Faults a flag on this rep counts neither right nor wrong for (besides the listed ones):
    no_top_pause where the top hold is under SHORT_HOLD_S, fast_lowering where the lowering is no
    longer than QUICK_LOWER_S and than the rise (the guide asks for a lowering at least as slow), bounce where
    the bottom pause is under BRIEF_PAUSE_S after a lowering QUICK_DROP_RATIO times quicker than the set's."""
    out = set(rep.dont_care)
    top, low, rise, pause = (
        rep.phases.get(k) for k in ("top_pause_s", "eccentric_s", "concentric_s", "bottom_pause_s")
    )
    if top is not None and top < SHORT_HOLD_S:
        out.add("no_top_pause")
    if low is not None and rise is not None and low <= max(QUICK_LOWER_S, rise):
        out.add("fast_lowering")
    typical = rep.set_lowering
    if pause is not None and low and typical and pause < BRIEF_PAUSE_S and typical >= QUICK_DROP_RATIO * low:
        out.add("bounce")
    return out - set(rep.faults)


def match_reps(detected: list[dict[str, Any]], truth: list[TrueRep]) -> list[int | None]:
    """For each true rep, the index of its matched detected rep (or None).  See the module docstring."""
    best: list[int | None] = [None] * len(truth)
    for k, rep in enumerate(detected):
        mid = 0.5 * (rep["t_top_start"] + rep["t_top_end"])
        for i, tr in enumerate(truth):
            if tr.t_start - LEAD_S <= mid <= tr.t_bottom:
                j = best[i]
                if j is None or abs(mid - tr.top_mid) < abs(_mid(detected[j]) - tr.top_mid):
                    best[i] = k
                break
    return best


def _mid(rep: dict[str, Any]) -> float:
    return 0.5 * (rep["t_top_start"] + rep["t_top_end"])


def not_checked(report: dict[str, Any], rep: dict[str, Any] | None) -> set[str]:
    out = {x["id"] for x in report.get("faults_not_checked", [])}
    return out | set(rep.get("not_checked", [])) if rep else out


@dataclass
class Tally:
    """Counts over many clips; keys: (fault, view, grade) for tp/fn/nc, (fault, view) for fp and clean."""

    tp: dict = field(default_factory=lambda: defaultdict(int))
    fn: dict = field(default_factory=lambda: defaultdict(int))
    nc: dict = field(default_factory=lambda: defaultdict(int))
    na: dict = field(default_factory=lambda: defaultdict(int))  # (fault, view, grade) -> on a last rep, unjudged
    lk: dict = field(default_factory=lambda: defaultdict(int))  # (fault, view, grade) -> missed, "look at this rep"
    fp: dict = field(default_factory=lambda: defaultdict(int))
    neither: dict = field(default_factory=lambda: defaultdict(int))  # (fault, view) -> flags not judged
    clean_n: dict = field(default_factory=lambda: defaultdict(int))  # view -> clean reps
    clean_any: dict = field(default_factory=lambda: defaultdict(int))  # view -> flagged with anything
    clean_fault: dict = field(default_factory=lambda: defaultdict(int))  # (fault, view) -> flagged with it
    clean_look: dict = field(default_factory=lambda: defaultdict(int))  # view -> with a "look at this rep" note
    sizes: list = field(default_factory=list)  # (fault, view, grade, size, found)
    phase_err: dict = field(default_factory=lambda: defaultdict(list))  # phase -> |error| list
    start_err: list = field(default_factory=list)
    view_err: dict = field(default_factory=lambda: defaultdict(list))  # (phase or "start", view) -> list
    motion_err: dict = field(default_factory=lambda: defaultdict(list))  # (phase or "start", motion) -> list
    counts: list = field(default_factory=list)  # (name, view, found, true, naive, error)


def score(clip: Scored, t: Tally) -> None:
    """Add one clip's reps to the tally."""
    found = None if clip.report is None else len(clip.reps)
    t.counts.append((clip.name, clip.view, found, clip.n_true, clip.naive_count, clip.error))
    if clip.counts_only:
        return
    if clip.report is None:
        for tr in clip.truth:
            for fid, (grade, size) in tr.faults.items():
                t.fn[(fid, clip.view, grade)] += 1
                t.sizes.append((fid, clip.view, grade, size, False))
        return
    matched = match_reps(clip.reps, clip.truth)
    used = {k for k in matched if k is not None}
    for tr, k in zip(clip.truth, matched, strict=True):
        rep = clip.reps[k] if k is not None else None
        flags = {f["id"] for f in rep["faults"]} if rep else set()
        _score_faults(clip, tr, rep, flags, t)
        if rep is not None:
            _score_tempo(tr, rep, t, clip.view, clip.motion)
    partial = clip.n_true > len(clip.truth)  # not every true rep is listed: an unmatched rep may be one
    for k, rep in enumerate(clip.reps):
        if k not in used:
            for f in rep["faults"]:
                (t.neither if partial else t.fp)[(f["id"], clip.view)] += 1


def _score_faults(clip: Scored, tr: TrueRep, rep: dict | None, flags: set[str], t: Tally) -> None:
    for fid, (grade, size) in tr.faults.items():
        last = tr is clip.truth[-1] and rep is not None and rep.get("bottom_pause_estimated")
        if fid in LAST_REP_UNJUDGED and last and fid not in flags:
            t.na[(fid, clip.view, grade)] += 1
            continue
        hit = fid in flags
        (t.tp if hit else t.fn)[(fid, clip.view, grade)] += 1
        if not hit and rep is not None and fid in not_checked(clip.report, rep):
            t.nc[(fid, clip.view, grade)] += 1
        if not hit and fid in doubts(rep):
            t.lk[(fid, clip.view, grade)] += 1
        t.sizes.append((fid, clip.view, grade, size, hit))
    if rep is None:
        return
    ignore = dont_care(tr)
    for fid in flags - set(tr.faults):
        wrong = fid not in ignore and (tr.absent is None or fid in tr.absent)
        (t.fp if wrong else t.neither)[(fid, clip.view)] += 1
    if not tr.faults and tr.absent is None:
        t.clean_n[clip.view] += 1
        t.clean_any[clip.view] += bool(flags - ignore)
        t.clean_look[clip.view] += bool(doubts(rep) - ignore)
        for fid in flags - ignore:
            t.clean_fault[(fid, clip.view)] += 1


def doubts(rep: dict | None) -> set[str]:
    """The faults a report rep shows only as "look at this rep" (too unsure to call)."""
    return {f["id"] for f in rep.get("uncertain", [])} if rep else set()


def _score_tempo(tr: TrueRep, rep: dict[str, Any], t: Tally, view: str, motion: str = "") -> None:
    for k in PHASES:
        want, got = tr.phases.get(k), rep.get(k)
        if want is not None and got is not None:
            t.phase_err[k].append(abs(got - want))
            t.view_err[(k, view)].append(abs(got - want))
            if motion:
                t.motion_err[(k, motion)].append(abs(got - want))
    t.start_err.append(abs(rep["t_start"] - tr.t_start))
    t.view_err[("start", view)].append(abs(rep["t_start"] - tr.t_start))
    if motion:
        t.motion_err[("start", motion)].append(abs(rep["t_start"] - tr.t_start))


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def recall_by(t: Tally, fault: str, view: str | None = None, grade: str | None = None) -> tuple[int, int, int]:
    """(found, injected, not checked) for a fault, optionally one view and one grade (None: all)."""
    keys = [
        k
        for k in set(t.tp) | set(t.fn)
        if k[0] == fault and (view is None or k[1] == view) and (grade is None or k[2] == grade)
    ]
    return sum(t.tp[k] for k in keys), sum(t.tp[k] + t.fn[k] for k in keys), sum(t.nc[k] for k in keys)


def precision_by(t: Tally, fault: str, view: str | None = None) -> tuple[int, int]:
    """(right flags, all flags) of a fault, optionally in one view (all grades: a false flag has none)."""
    tp = sum(v for k, v in t.tp.items() if k[0] == fault and (view is None or k[1] == view))
    fp = sum(v for k, v in t.fp.items() if k[0] == fault and (view is None or k[1] == view))
    return tp, tp + fp


def phase_summary(errors: list[float]) -> tuple[float, float, float, int] | None:
    """(median, max, share > 0.5 s, n) of absolute errors."""
    if not errors:
        return None
    e = np.asarray(errors)
    return float(np.median(e)), float(e.max()), float(np.mean(e > 0.5)), len(e)


def smallest_reliable(t: Tally, fault: str, view: str, direction: int, level: float = 0.8, min_n: int = 3) -> str:
    """The smallest grade of a fault found at least `level` of the time in a view (with every larger grade
    also at least `level`), as 'grade (size range)'; 'none' when even the largest grade is missed."""
    rows = []
    for grade in ("subtle", "moderate", "blatant"):
        sizes = [s for f, v, g, s, _ in t.sizes if f == fault and v == view and g == grade and s is not None]
        found, n, _ = recall_by(t, fault, view, grade)
        if n >= min_n:
            rows.append((grade, found / n, min(sizes), max(sizes)))
    if not rows:
        return "-"
    best = "none"
    for grade, rec, lo, hi in reversed(rows):
        if rec < level:
            break
        best = f"{grade} ({lo:.3g}-{hi:.3g})" if direction > 0 else f"{grade} ({hi:.3g}-{lo:.3g})"
    return best
