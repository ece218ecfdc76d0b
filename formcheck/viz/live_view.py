"""The live overlay's state, frame by frame, from the live tracker (formcheck.core.live)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.context.framing import framing_hint
from formcheck.viz.labels import fault_banner, look_banner
from formcheck.viz.overlay import OverlayState, leg_points
from formcheck.viz.timeline import BANNER_MIN_S, view_hint


@dataclass
class LiveBanners:
    """Fault banners as they are warned, each held on screen for at least BANNER_MIN_S."""

    hold_s: float = BANNER_MIN_S
    _items: list[tuple[float, str, str]] = field(default_factory=list)  # (until, text, severity)

    def add(self, fault: dict, now: float, rep: int | None = None) -> None:
        text = look_banner(fault) if fault.get("severity") == "look" else fault_banner(fault["id"])
        text = f"Rep {rep}: {text}" if rep else text
        if not any(t == text and until > now for until, t, _ in self._items):
            self._items.append((now + self.hold_s, text, fault.get("severity", "minor")))

    def active(self, now: float) -> tuple[tuple[str, str], ...]:
        self._items = [item for item in self._items if item[0] > now]
        return tuple((text, sev) for _, text, sev in reversed(self._items))


@dataclass(frozen=True)
class OneEuroConfig:
    min_cutoff_hz: float = 1.5
    beta: float = 0.5
    d_cutoff_hz: float = 1.0


class OneEuroFilter:
    """Causal adaptive low-pass for drawing (Casiez et al. 2012): steady when still, little lag when it moves
    fast; NaN resets it."""

    def __init__(self, config: OneEuroConfig | None = None) -> None:
        self.config = config or OneEuroConfig()
        self._t: float | None = None
        self._x: np.ndarray | None = None
        self._dx: float | np.ndarray = 0.0

    @staticmethod
    def _alpha(dt: float, cutoff: float | np.ndarray) -> float | np.ndarray:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: float | np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or not np.all(np.isfinite(x)) or t <= self._t:
            self._t, self._x, self._dx = t, (x if np.all(np.isfinite(x)) else None), np.zeros_like(x)
            return x
        cfg, dt = self.config, t - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(dt, cfg.d_cutoff_hz)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = cfg.min_cutoff_hz + cfg.beta * np.abs(self._dx)
        a = self._alpha(dt, cutoff)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x


class LegSmoother:
    """A causal one-euro filter per drawn leg point: steady when still, no lag when it moves fast."""

    def __init__(self, config: OneEuroConfig | None = None) -> None:
        # in pixels: 1 Hz when still; each 100 px/s of speed opens the cut-off by 2 Hz
        config = config or OneEuroConfig(min_cutoff_hz=1.0, beta=0.02, d_cutoff_hz=1.0)
        self._filters = [OneEuroFilter(config) for _ in range(5)]

    def __call__(self, t: float, leg: tuple | None) -> tuple | None:
        if leg is None:
            return None
        out = []
        for f, p in zip(self._filters, leg):
            if p is None:
                f.__init__(f.config)  # unseen: start afresh when it is seen again
                out.append(None)
            else:
                x, y = f(t, np.array(p, dtype=float))
                out.append((float(x), float(y)))
        return tuple(out)


FEET_FLICKER_HINT = "feet hard to tell apart: shoes that stand out from the floor and legwear, more light"


def live_state(
    update,
    xy: np.ndarray,
    vis: np.ndarray,
    width: int,
    height: int,
    banners: LiveBanners,
    paused: bool = False,
    min_vis: float = 0.3,
    smoother: LegSmoother | None = None,
    feet_flicker: bool = False,
) -> OverlayState:
    """What the live overlay shows for one processed frame (feet_flicker: the working foot's points jump between
    the feet, signal/clean.FlickerWatch)."""
    hints = []
    framing = framing_hint(xy, vis, width, height, min_vis)
    if framing:
        hints.append(framing)
    elif update.side is None:
        hints.append("stand still on the step: finding the working leg")
    if feet_flicker:
        hints.append(FEET_FLICKER_HINT)
    if update.view and view_hint(update.view):
        hints.append(view_hint(update.view))
    if paused:
        hints.insert(0, "paused - press space to go on")
    gauge = None if update.gauge is None else float(np.clip(update.gauge, 0.0, 1.0))
    leg = leg_points(xy, vis, update.side, min_vis) if update.side else None
    if smoother is not None:
        leg = smoother(update.t, leg)
    return OverlayState(
        leg=leg,
        side=update.side,
        gauge=gauge,
        reps=update.count,
        phase=update.phase,
        phase_s=update.phase_s,
        tempo_cue=update.tempo_cue,
        faults=banners.active(update.t),
        hints=tuple(hints),
    )
