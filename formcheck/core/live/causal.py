"""Causal pieces of the live path: a window of recent landmarks, glitch rejection, a causal low-pass and the
still-foot (stance) tracker.

Batch analysis (core/analyze.py) sees the whole clip; these see frames one at a time, in order, and never look
ahead. They use the batch thresholds (StanceConfig) so the live count can equal the offline one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.landmarks import N_LANDMARKS


class History:
    """The last `keep_s` seconds of landmarks (unseen and refused points NaN), with absolute frame indices, and
    MediaPipe's own landmarks of each frame where the feet were fused with the refined ones."""

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._t: list[float] = []
        self._xy: list[np.ndarray] = []
        self._vis: list[np.ndarray] = []
        self._mediapipe: list[np.ndarray] = []  # the frame's own xy where nothing was fused
        self.offset = 0  # absolute index of the first kept frame

    def append(self, t: float, xy: np.ndarray, vis: np.ndarray, mediapipe_xy: np.ndarray | None = None) -> int:
        """Store one frame; returns its absolute index."""
        self._t.append(float(t))
        self._xy.append(xy)
        self._vis.append(vis)
        self._mediapipe.append(xy if mediapipe_xy is None else mediapipe_xy)
        if len(self._t) > 64 and self._t[-1] - self._t[0] > 1.5 * self.keep_s:
            cut = int(np.searchsorted(np.asarray(self._t), self._t[-1] - self.keep_s))
            del self._t[:cut], self._xy[:cut], self._vis[:cut], self._mediapipe[:cut]
            self.offset += cut
        return self.offset + len(self._t) - 1

    def __len__(self) -> int:
        return len(self._t)

    @property
    def end(self) -> int:
        """Absolute index one past the newest frame."""
        return self.offset + len(self._t)

    def since(self, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, xy, vis) from absolute index `start` (clipped to what is kept) to the newest frame."""
        k = max(start - self.offset, 0)
        return np.asarray(self._t[k:]), np.asarray(self._xy[k:]), np.asarray(self._vis[k:])

    def mediapipe_since(self, start: int) -> np.ndarray | None:
        """MediaPipe's own landmarks of the frames `since` gives, or None where none had its feet fused."""
        k = max(start - self.offset, 0)
        fused = any(m is not x for m, x in zip(self._mediapipe[k:], self._xy[k:], strict=True))
        return np.asarray(self._mediapipe[k:]) if fused else None

    def recent(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """(xy, vis) of the frames of the last `seconds`."""
        t = np.asarray(self._t)
        k = int(np.searchsorted(t, t[-1] - seconds)) if len(t) else 0
        return np.asarray(self._xy[k:]), np.asarray(self._vis[k:])


class JumpGate:
    """Causal glitch rejection: a landmark that jumps further than a body part can move is dropped.

    A point is refused when it lies more than `max_speed` shank lengths per second (plus a small
    allowance) from its last accepted place: a swinging foot in a walk reaches about 10, nothing of
    a person standing on one spot (a calf raise, a wobble, a knee dip) more than `still_speed`;
    MediaPipe's multi-frame glitches (a leg briefly swapped or thrown across the picture) are refused
    until they end. A point refused for longer than
    `accept_after_s` is taken as real (a camera cut, the person moved) and followed from there.
    """

    def __init__(
        self, max_speed: float = 12.0, still_speed: float = 5.0, allowance: float = 0.1, accept_after_s: float = 0.3
    ) -> None:
        self.max_speed, self.still_speed = max_speed, still_speed
        self.allowance, self.accept_after_s = allowance, accept_after_s
        self._last = np.full((N_LANDMARKS, 2), np.nan)
        self._last_t = np.full(N_LANDMARKS, np.nan)
        self._refused_since = np.full(N_LANDMARKS, np.nan)
        self.refused = 0

    def __call__(self, t: float, xy: np.ndarray, shank_px: float, standing: bool = False) -> np.ndarray:
        """xy (33, 2) with NaN where unseen; returns a copy with jumps set to NaN. standing: the person
        stands on one spot (a stance), where nothing moves faster than `still_speed`."""
        out = xy.copy()
        seen = np.isfinite(xy[:, 0])
        if not math.isfinite(shank_px) or shank_px <= 0:
            self._accept(t, xy, seen)
            return out
        dist = np.hypot(*(xy - self._last).T) / shank_px
        limit = (self.still_speed if standing else self.max_speed) * (t - self._last_t) + self.allowance
        jump = seen & (dist > limit)  # NaN distance (no history) is not a jump
        stale = jump & (t - np.where(np.isnan(self._refused_since), t, self._refused_since) >= self.accept_after_s)
        refuse = jump & ~stale
        self._refused_since = np.where(refuse, np.where(np.isnan(self._refused_since), t, self._refused_since), np.nan)
        out[refuse] = np.nan
        self.refused += int(refuse.sum())
        self._accept(t, xy, seen & ~refuse)
        return out

    def _accept(self, t: float, xy: np.ndarray, mask: np.ndarray) -> None:
        self._last[mask] = xy[mask]
        self._last_t[mask] = t


class LowPass:
    """First-order causal low-pass with its cut-off in Hz (works on uneven timestamps); NaN holds."""

    def __init__(self, cutoff_hz: float) -> None:
        self.tau = 1.0 / (2 * math.pi * cutoff_hz)
        self.t: float | None = None
        self.x: np.ndarray | None = None

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray | None:
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x)):
            return self.x
        if self.x is None or self.t is None:
            self.t, self.x = t, x
            return x
        a = 1.0 - math.exp(-(t - self.t) / self.tau)
        self.x = self.x + a * (x - self.x)
        self.t = t
        return self.x

    def reset(self) -> None:
        self.t, self.x = None, None


@dataclass
class StanceState:
    still: bool = False
    since_t: float = math.nan  # when the foot became still
    start_i: int = -1  # absolute frame index of the stance start
    anchor: np.ndarray | None = None  # where the ball of the foot stands (pixels): it stays put through a rep
    moving_since: float = math.nan  # the ball has been away from the anchor since then


SPEED_BASE_S = 0.2  # the foot's speed is its smoothed travel over this long (a frame-to-frame difference is noise)


class StanceTracker:
    """The working foot stands still (a stance) or travels (stepping, walking).

    The foot becomes still once its smoothed speed stays under max_foot_speed for `enter_s`.
    The stance ends only when the ball of the foot (the toe point, which stays put through a rep)
    has been away from where it stood by min_relocation for `leave_s`, so a glitch, a wobble or a
    knee dip that comes back never ends it (the batch rules of core/signals.foot_still, causally).
    It then ended when that movement began. While the foot moves fast or is away, the stance is
    `tentative`: its fate is not known yet.
    """

    def __init__(self, cfg: AnalysisConfig, enter_s: float = 0.3, leave_s: float = 0.5) -> None:
        self.cfg = cfg.stance
        self.enter_s, self.leave_s = enter_s, leave_s
        self.left_t = math.nan  # when the last stance ended (the foot started to move away)
        self.filter = LowPass(self.cfg.speed_lowpass_hz)
        self.toe_filter = LowPass(self.cfg.speed_lowpass_hz)
        self.state = StanceState()
        self._slow_since = math.nan
        self._slow_i = -1
        self.fast_since = math.nan  # the foot has moved fast since then (NaN: it is slow)
        self._recent: list[tuple[float, np.ndarray]] = []  # smoothed positions over the last SPEED_BASE_S

    @property
    def tentative(self) -> bool:
        return self.state.still and (math.isfinite(self.fast_since) or math.isfinite(self.state.moving_since))

    def update(self, t: float, i: int, foot: np.ndarray, toe: np.ndarray, shank_px: float) -> str | None:
        """Feed one frame (foot point and toe); returns "start" / "end" when the stance starts or ends."""
        pos = self.filter(t, foot)
        ball = self.toe_filter(t, toe)
        if pos is None or not np.isfinite(shank_px):
            return None
        self._recent.append((t, pos.copy()))
        while len(self._recent) > 2 and self._recent[1][0] <= t - SPEED_BASE_S:
            self._recent.pop(0)
        t0, p0 = self._recent[0]
        speed = float(np.hypot(*(pos - p0))) / (t - t0) / shank_px if t - t0 >= 0.5 * SPEED_BASE_S else math.inf
        fast = speed >= self.cfg.max_foot_speed
        self.fast_since = (self.fast_since if math.isfinite(self.fast_since) else t) if fast else math.nan
        if self.state.still:
            return self._check_leave(t, ball, shank_px)
        if fast:
            self._slow_since = math.nan
            return None
        if not math.isfinite(self._slow_since):
            self._slow_since, self._slow_i = t, i
        if t - self._slow_since >= self.enter_s:
            self.state = StanceState(True, self._slow_since, self._slow_i, None if ball is None else ball.copy())
            return "start"
        return None

    def _check_leave(self, t: float, ball: np.ndarray | None, shank_px: float) -> str | None:
        st = self.state
        if ball is None:
            return None
        if st.anchor is None:
            st.anchor = ball.copy()
        if float(np.hypot(*(ball - st.anchor))) / shank_px <= self.cfg.min_relocation:
            st.moving_since = math.nan
            return None
        if not math.isfinite(st.moving_since):
            st.moving_since = min(t, self.fast_since) if math.isfinite(self.fast_since) else t
        if t - st.moving_since < self.leave_s:
            return None
        self.left_t = st.moving_since
        self.state, self._slow_since = StanceState(), math.nan
        return "end"
