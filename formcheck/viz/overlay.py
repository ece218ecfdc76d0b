"""The video overlay: one frozen OverlayState per frame, drawn by small annotators (frame in, frame out).

Shared by the annotated video (batch, built from a finished analysis: viz/timeline.py) and the live
webcam view (built frame by frame from a causal tracker). OverlayState holds only plain values, so
either side can build it. Drawing is plain cv2 on the frame in place (the frame is also returned),
sized from the frame's shorter side so a 640x480 webcam and a 1080x1920 phone clip both read well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

import cv2
import numpy as np

from formcheck.core.landmarks import INDEX

Point = tuple[float, float]
LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")
LEG_BONES = ((0, 1), (1, 2), (2, 3), (3, 4), (2, 4))  # hip-knee-ankle, ankle-heel-toe triangle
PHASES = ("bottom", "rise", "top", "lower")
SEVERITIES = ("minor", "major", "look")  # look: a fault too unsure to call ("look at this rep")
FONT = cv2.FONT_HERSHEY_SIMPLEX

# BGR colours
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
LEG_COLOUR, JOINT_COLOUR = (80, 220, 255), (255, 255, 255)
PHASE_COLOURS = {"rise": (90, 200, 60), "top": (230, 170, 40), "lower": (60, 140, 240), "bottom": (200, 120, 200)}
SEVERITY_COLOURS = {"minor": (0, 170, 240), "major": (40, 40, 220), "look": (110, 110, 110)}
HINT_COLOUR = (200, 200, 200)


@dataclass(frozen=True)
class OverlayState:
    """What the overlay shows on one frame. Plain values only (no analysis objects).

    leg: pixels of the working leg's hip, knee, ankle, heel and toe (LEG_POINTS order; None for a point
    not seen), or None when no pose. gauge: heel height, 0 = the set's bottom, 1 = its top (None when
    unknown). phase: bottom | rise | top | lower | None, phase_s the seconds spent in it so far.
    faults: banners [(text, severity minor|major)]. hints: short notes (framing, faults a view can't show).
    """

    leg: tuple[Point | None, ...] | None = None
    side: str | None = None
    gauge: float | None = None
    reps: int = 0
    phase: str | None = None
    phase_s: float | None = None
    tempo_cue: str | None = None
    faults: tuple[tuple[str, str], ...] = ()
    hints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.leg is not None and len(self.leg) != len(LEG_POINTS):
            raise ValueError(f"leg must hold {len(LEG_POINTS)} points {LEG_POINTS} or None, got {len(self.leg)}")
        if self.gauge is not None and not 0.0 <= self.gauge <= 1.0:
            raise ValueError(f"gauge must be in [0, 1] or None, got {self.gauge}")
        if self.phase is not None and self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES} or None, got {self.phase!r}")
        if self.reps < 0:
            raise ValueError(f"reps must be >= 0, got {self.reps}")
        for text, severity in self.faults:
            if severity not in SEVERITIES:
                raise ValueError(f"fault severity must be one of {SEVERITIES}, got {severity!r} for {text!r}")

    def scaled(self, factor: float) -> OverlayState:
        """The same state on a frame scaled by factor (the leg's pixels scaled)."""
        if self.leg is None or factor == 1.0:
            return self
        leg = tuple(None if p is None else (p[0] * factor, p[1] * factor) for p in self.leg)
        return replace(self, leg=leg)


def leg_points(
    xy: np.ndarray, vis: np.ndarray | None, side: str, min_vis: float = 0.3
) -> tuple[Point | None, ...] | None:
    """One frame's working-leg points from a (33, 2) pixel row (and optional (33,) visibility), for OverlayState.leg."""
    pts: list[Point | None] = []
    for part in LEG_POINTS:
        i = INDEX[f"{side}_{part}"]
        x, y = float(xy[i, 0]), float(xy[i, 1])
        seen = math.isfinite(x) and math.isfinite(y) and (vis is None or not vis[i] < min_vis)
        pts.append((x, y) if seen else None)
    return tuple(pts) if any(p is not None for p in pts) else None


@dataclass(frozen=True)
class Layout:
    """Sizes for one frame size: everything scales with the shorter side (480 px = 1.0)."""

    width: int
    height: int
    unit: float  # 1.0 at a 480 px short side
    margin: int
    font: float  # cv2 font scale of body text
    thick: int  # text stroke

    def text_size(self, text: str, scale: float = 1.0) -> tuple[int, int, int]:
        return _text_size(text, self.font * scale, self.thick)


@lru_cache(maxsize=4096)
def _text_size(text: str, font_scale: float, thick: int) -> tuple[int, int, int]:
    (w, h), base = cv2.getTextSize(text, FONT, font_scale, thick)
    return w, h, base


@lru_cache(maxsize=16)
def layout_for(height: int, width: int) -> Layout:
    unit = max(min(height, width) / 480.0, 0.5)
    return Layout(width, height, unit, int(round(10 * unit)), 0.6 * unit, max(1, int(round(1.6 * unit))))


def _layout(frame: np.ndarray) -> Layout:
    return layout_for(int(frame.shape[0]), int(frame.shape[1]))


def shade(
    frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int] = BLACK, alpha: float = 0.55
) -> None:
    """Blend a filled box into the frame (only the box's pixels are touched)."""
    h, w = frame.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = frame[y0:y1, x0:x1]
    fill = np.empty_like(roi)
    fill[...] = colour  # (np.full with a colour tuple is ten times slower)
    cv2.addWeighted(roi, 1.0 - alpha, fill, alpha, 0.0, dst=roi)


def put_text(
    frame: np.ndarray,
    text: str,
    org: tuple[int, int],
    lay: Layout,
    scale: float = 1.0,
    colour: tuple[int, int, int] = WHITE,
) -> None:
    cv2.putText(frame, text, org, FONT, lay.font * scale, colour, lay.thick, cv2.LINE_AA)


def wrap(text: str, lay: Layout, max_w: int, scale: float = 1.0) -> list[str]:
    """Word-wrap text to lines no wider than max_w pixels (a single long word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and lay.text_size(f"{lines[-1]} {word}", scale)[0] <= max_w:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


class Annotator(Protocol):
    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray: ...


@dataclass(frozen=True)
class SkeletonAnnotator:
    """The working leg: hip-knee-ankle and the foot triangle, joints as dots."""

    colour: tuple[int, int, int] = LEG_COLOUR
    joint_colour: tuple[int, int, int] = JOINT_COLOUR

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if state.leg is None:
            return frame
        lay = _layout(frame)
        pts = [None if p is None else (int(round(p[0])), int(round(p[1]))) for p in state.leg]
        bone = max(2, int(round(3 * lay.unit)))
        for a, b in LEG_BONES:
            if pts[a] is not None and pts[b] is not None:
                cv2.line(frame, pts[a], pts[b], self.colour, bone, cv2.LINE_AA)
        for p in pts:
            if p is not None:
                cv2.circle(frame, p, bone + 2, self.joint_colour, -1, cv2.LINE_AA)
        return frame


def gauge_box(lay: Layout) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the heel gauge: a vertical bar at the right edge, middle half of the height."""
    w = int(round(18 * lay.unit))
    x1 = lay.width - lay.margin
    return x1 - w, int(lay.height * 0.3), x1, int(lay.height * 0.7)


@dataclass(frozen=True)
class HeelGaugeAnnotator:
    """Heel height as a filled vertical bar (bottom of the set at the bottom, top of the set at the top)."""

    colour: tuple[int, int, int] = LEG_COLOUR

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if state.gauge is None:
            return frame
        lay = _layout(frame)
        x0, y0, x1, y1 = gauge_box(lay)
        shade(frame, x0, y0, x1, y1, BLACK, 0.5)
        fill = int(round((y1 - y0) * state.gauge))
        if fill > 0:
            frame[y1 - fill : y1, x0:x1] = self.colour
        cv2.rectangle(frame, (x0, y0), (x1 - 1, y1 - 1), WHITE, max(1, lay.thick // 2))
        label_w = lay.text_size("heel", 0.6)[0]
        put_text(frame, "heel", (max(0, x1 - label_w), y0 - lay.margin // 2), lay, 0.6)
        return frame


def counter_box(lay: Layout) -> tuple[int, int, int, int]:
    w, h, base = lay.text_size("REPS 00", 1.4)
    pad = lay.margin // 2
    return lay.margin, lay.margin, lay.margin + w + 2 * pad, lay.margin + h + base + 2 * pad


@dataclass(frozen=True)
class RepCounterAnnotator:
    """Reps completed so far, top left."""

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        lay = _layout(frame)
        x0, y0, x1, y1 = counter_box(lay)
        shade(frame, x0, y0, x1, y1)
        _, h, base = lay.text_size("REPS", 1.4)
        put_text(frame, f"REPS {state.reps}", (x0 + lay.margin // 2, y1 - base - lay.margin // 2), lay, 1.4)
        return frame


def phase_box(lay: Layout) -> tuple[int, int, int, int]:
    """The phase box, right of the counter (its width fits the longest phase and timer)."""
    cx0, cy0, cx1, cy1 = counter_box(lay)
    w = lay.text_size("BOTTOM 00.0s")[0] + lay.margin
    return cx1 + lay.margin // 2, cy0, cx1 + lay.margin // 2 + w, cy1


@dataclass(frozen=True)
class PhaseAnnotator:
    """The current phase and the seconds spent in it, beside the counter; a tempo cue after it."""

    cue_colour: tuple[int, int, int] = (0, 230, 255)

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if state.phase is None:
            return frame
        lay = _layout(frame)
        x0, y0, x1, y1 = phase_box(lay)
        shade(frame, x0, y0, x1, y1, PHASE_COLOURS[state.phase], 0.8)
        text = state.phase.upper() + ("" if state.phase_s is None else f" {state.phase_s:.1f}s")
        _, h, base = lay.text_size(text)
        y = (y0 + y1 + h) // 2
        put_text(frame, text, (x0 + lay.margin // 2, y), lay)
        if state.tempo_cue:
            cx0 = x1 + lay.margin // 2
            cx1 = min(lay.width - lay.margin, cx0 + lay.text_size(state.tempo_cue)[0] + lay.margin)
            shade(frame, cx0, y0, cx1, y1, BLACK, 0.6)
            put_text(frame, state.tempo_cue, (cx0 + lay.margin // 2, y), lay, 1.0, self.cue_colour)
        return frame


def banner_top(lay: Layout) -> int:
    return counter_box(lay)[3] + lay.margin // 2


@dataclass(frozen=True)
class FaultBannerAnnotator:
    """Fault banners across the frame under the counter, red for major and amber for minor (at most 3)."""

    max_banners: int = 3

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        lay = _layout(frame)
        y = banner_top(lay)
        pad = lay.margin // 2
        for text, severity in state.faults[: self.max_banners]:
            lines = wrap(text, lay, lay.width - 2 * lay.margin - 2 * pad)
            _, h, base = lay.text_size("Ag")
            line_h = h + base + pad
            y1 = y + line_h * len(lines) + pad
            shade(frame, lay.margin, y, lay.width - lay.margin, y1, SEVERITY_COLOURS[severity], 0.85)
            for k, line in enumerate(lines):
                put_text(frame, line, (lay.margin + pad, y + pad + h + k * line_h), lay)
            y = y1 + pad
        return frame


@dataclass(frozen=True)
class HintAnnotator:
    """Small grey notes at the bottom left (framing problems, faults this view cannot show)."""

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if not state.hints:
            return frame
        lay = _layout(frame)
        lines = [ln for hint in state.hints for ln in wrap(hint, lay, lay.width - 4 * lay.margin, 0.7)]
        _, h, base = lay.text_size("Ag", 0.7)
        line_h = h + base + lay.margin // 3
        y1 = lay.height - lay.margin
        y0 = y1 - line_h * len(lines) - lay.margin // 2
        w = max(lay.text_size(ln, 0.7)[0] for ln in lines) + lay.margin
        shade(frame, lay.margin, y0, lay.margin + w, y1, BLACK, 0.5)
        for k, line in enumerate(lines):
            put_text(
                frame,
                line,
                (lay.margin + lay.margin // 2, y0 + lay.margin // 3 + h + k * line_h),
                lay,
                0.7,
                HINT_COLOUR,
            )
        return frame


DEFAULT_ANNOTATORS: tuple[Annotator, ...] = (
    SkeletonAnnotator(),
    HeelGaugeAnnotator(),
    RepCounterAnnotator(),
    PhaseAnnotator(),
    FaultBannerAnnotator(),
    HintAnnotator(),
)


def draw_overlay(
    frame: np.ndarray, state: OverlayState, annotators: Sequence[Annotator] = DEFAULT_ANNOTATORS
) -> np.ndarray:
    """Draw every overlay element on the frame (in place; also returned). BGR uint8 (H, W, 3)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frame must be a BGR uint8 array of shape (H, W, 3), got {frame.dtype} {frame.shape}")
    for annotator in annotators:
        frame = annotator.annotate(frame, state)
    return frame
