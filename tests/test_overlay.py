"""The overlay annotators on blank frames: each draws where it should and nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.viz.overlay import (
    FaultBannerAnnotator,
    HeelGaugeAnnotator,
    HintAnnotator,
    OverlayState,
    PhaseAnnotator,
    RepCounterAnnotator,
    SkeletonAnnotator,
    banner_top,
    counter_box,
    draw_overlay,
    gauge_box,
    layout_for,
    leg_points,
    phase_box,
)

SIZES = [(480, 640), (1920, 1080), (720, 1280)]  # (h, w): webcam, phone portrait, 720p


def blank(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def changed(frame: np.ndarray) -> np.ndarray:
    return frame.any(axis=2)


def inside(mask: np.ndarray, box: tuple[int, int, int, int], slack: int = 2) -> bool:
    x0, y0, x1, y1 = box
    ys, xs = np.nonzero(mask)
    return bool(xs.min() >= x0 - slack and xs.max() < x1 + slack and ys.min() >= y0 - slack and ys.max() < y1 + slack)


def leg_for(h: int, w: int) -> tuple:
    return ((0.5 * w, 0.45 * h), (0.52 * w, 0.65 * h), (0.5 * w, 0.85 * h), (0.47 * w, 0.87 * h), (0.6 * w, 0.88 * h))


@pytest.mark.parametrize("h, w", SIZES)
def test_skeleton_draws_the_leg_only(h, w):
    leg = leg_for(h, w)
    out = SkeletonAnnotator().annotate(blank(h, w), OverlayState(leg=leg))
    mask = changed(out)
    xs, ys = [p[0] for p in leg], [p[1] for p in leg]
    pad = int(12 * layout_for(h, w).unit)
    assert inside(mask, (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad))
    mid = ((leg[0][0] + leg[1][0]) / 2, (leg[0][1] + leg[1][1]) / 2)  # on the thigh
    assert mask[int(mid[1]), int(mid[0])]
    assert not mask[int(0.1 * h), int(0.1 * w)]


def test_skeleton_skips_unseen_points_and_no_pose():
    h, w = 480, 640
    leg = list(leg_for(h, w))
    leg[1] = None  # knee unseen: no thigh, no shank
    mask = changed(SkeletonAnnotator().annotate(blank(h, w), OverlayState(leg=tuple(leg))))
    mid_thigh = (leg[0][0] + 0.52 * w) / 2, (leg[0][1] + 0.65 * h) / 2
    assert not mask[int(mid_thigh[1]), int(mid_thigh[0])] and mask[int(leg[0][1]), int(leg[0][0])]
    assert not changed(SkeletonAnnotator().annotate(blank(h, w), OverlayState(leg=None))).any()


@pytest.mark.parametrize("h, w", SIZES)
def test_gauge_fill_follows_the_heel(h, w):
    lay = layout_for(h, w)
    x0, y0, x1, y1 = gauge_box(lay)
    fills = []
    for g in (0.25, 0.75):
        out = HeelGaugeAnnotator().annotate(blank(h, w), OverlayState(gauge=g))
        mask = changed(out)
        assert inside(mask, (x0 - lay.margin, y0 - 3 * lay.margin, x1, y1))
        column = out[y0 + 2 : y1 - 2, (x0 + x1) // 2]
        fills.append(np.mean(np.all(column == HeelGaugeAnnotator().colour, axis=1)))
    assert fills[0] == pytest.approx(0.25, abs=0.03) and fills[1] == pytest.approx(0.75, abs=0.03)
    assert not changed(HeelGaugeAnnotator().annotate(blank(h, w), OverlayState(gauge=None))).any()


@pytest.mark.parametrize("h, w", SIZES)
def test_counter_and_phase_stay_in_their_boxes(h, w):
    lay = layout_for(h, w)
    mask = changed(RepCounterAnnotator().annotate(blank(h, w), OverlayState(reps=7)))
    assert mask.any() and inside(mask, counter_box(lay))
    state = OverlayState(phase="lower", phase_s=1.25)
    mask = changed(PhaseAnnotator().annotate(blank(h, w), state))
    assert mask.any() and inside(mask, phase_box(lay))
    cue = changed(PhaseAnnotator().annotate(blank(h, w), OverlayState(phase="lower", phase_s=1.0, tempo_cue="slower")))
    px1 = phase_box(lay)[2]
    assert cue[:, px1 + 1 :].any() and not cue[phase_box(lay)[3] + 2 :].any()
    assert not changed(PhaseAnnotator().annotate(blank(h, w), OverlayState(phase=None))).any()


def test_counter_number_changes_the_picture():
    a = RepCounterAnnotator().annotate(blank(480, 640), OverlayState(reps=1))
    b = RepCounterAnnotator().annotate(blank(480, 640), OverlayState(reps=8))
    assert (a != b).any()


@pytest.mark.parametrize("h, w", SIZES)
def test_banners_stack_under_the_counter_in_severity_colours(h, w):
    lay = layout_for(h, w)
    state = OverlayState(faults=(("Rep 2: bounce", "major"), ("Rep 2: lowering too fast", "minor")))
    out = FaultBannerAnnotator().annotate(blank(h, w), state)
    mask = changed(out)
    top = banner_top(lay)
    assert not mask[: top - 1].any() and not mask[int(0.5 * h) :].any()
    rows = np.nonzero(mask.any(axis=1))[0]
    first, last = out[rows[0] + 1, lay.margin + 1], out[rows[-1] - 1, lay.margin + 1]
    assert first[2] > 2 * first[0] and first[2] > 2 * first[1]  # major: red (BGR)
    assert last[1] > 2 * last[0] and last[2] > last[1]  # minor: amber
    assert not changed(FaultBannerAnnotator().annotate(blank(h, w), OverlayState())).any()


def test_long_banner_text_wraps_inside_a_narrow_frame():
    text = "Rep 10: free foot helping - keep it off the step and steady yourself with a hand on a wall"
    out = FaultBannerAnnotator().annotate(blank(480, 270), OverlayState(faults=((text, "minor"),)))
    mask = changed(out)
    one = changed(FaultBannerAnnotator().annotate(blank(480, 270), OverlayState(faults=(("Rep 1: x", "minor"),))))
    assert mask.any(axis=1).sum() > 1.6 * one.any(axis=1).sum()  # two lines or more
    assert not mask[:, -layout_for(480, 270).margin + 1 :].any()


@pytest.mark.parametrize("h, w", SIZES)
def test_hints_sit_at_the_bottom_left(h, w):
    out = HintAnnotator().annotate(blank(h, w), OverlayState(hints=("side view: hip level not checked",)))
    mask = changed(out)
    assert mask.any() and not mask[: int(0.8 * h)].any() and not mask[:, int(0.8 * w) :].any()
    assert not changed(HintAnnotator().annotate(blank(h, w), OverlayState())).any()


def test_draw_overlay_applies_every_annotator_in_place():
    h, w = 720, 1280
    state = OverlayState(
        leg=leg_for(h, w),
        gauge=0.5,
        reps=3,
        phase="top",
        phase_s=0.3,
        tempo_cue="hold",
        faults=(("Rep 3: no pause at the top", "minor"),),
        hints=("front view: depth not checked",),
    )
    frame = blank(h, w)
    out = draw_overlay(frame, state)
    assert out is frame
    expected = blank(h, w)
    for ann in (
        SkeletonAnnotator(),
        HeelGaugeAnnotator(),
        RepCounterAnnotator(),
        PhaseAnnotator(),
        FaultBannerAnnotator(),
        HintAnnotator(),
    ):
        expected = ann.annotate(expected, state)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="BGR uint8"):
        draw_overlay(np.zeros((10, 10, 3), float), state)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gauge": 1.5}, "gauge must be in"),
        ({"phase": "up"}, "phase must be one of"),
        ({"faults": (("x", "fatal"),)}, "severity"),
        ({"leg": ((1.0, 2.0),)}, "leg must hold 5 points"),
        ({"reps": -1}, "reps must be"),
    ],
)
def test_state_validates_itself(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OverlayState(**kwargs)


def test_leg_points_from_a_landmark_row():
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    from formcheck.core.landmarks import INDEX

    for k, part in enumerate(("hip", "knee", "ankle", "heel", "foot_index")):
        xy[INDEX[f"right_{part}"]] = (10.0 * k, 20.0 * k)
        vis[INDEX[f"right_{part}"]] = 0.9
    vis[INDEX["right_knee"]] = 0.1
    pts = leg_points(xy, vis, "right")
    assert pts == ((0.0, 0.0), None, (20.0, 40.0), (30.0, 60.0), (40.0, 80.0))
    assert leg_points(xy, vis, "left") is None
