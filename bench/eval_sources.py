"""The four things bench/evaluate.py scores formcheck on, each turned into Scored clips (see eval_scoring):

- renders: the evaluation set's stored model landmarks (bench/evalset, made by `python -m tools.evalset make`)
- synth: landmark-level series made on the fly at the same grades (formcheck.synth with MediaPipe-like
  corruption, the fault sizes shrunk to what MediaPipe shows of them, SEEN)
- shared: the two renders made outside the project (../shared/renders, *_gt.json), extracted with the bench cache
- real: the real clips (../shared/videos) against hand labels (bench/labels/real_clips.json)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, SHARED, landmarks, manifest_reps
from accuracy import naive_count
from eval_scoring import PHASES, Scored, TrueRep

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import INDEX
from formcheck.core.report import analysis_to_dict
from formcheck.errors import FormcheckError
from formcheck.synth import MEDIAPIPE_LIKE, FaultSize, compute_truth, make_series, scaled_body
from formcheck.synth.grades import grades_of
from formcheck.synth.script import FAULT_IDS, SetScript
from tools.evalset.manifest import VIEW_GROUPS, azimuth_offset, clip_from_dict, draw_camera, draw_set, split_of
from tools.evalset.store import LEG_POINTS, STORE, load_clip

SHARED_RENDERS = ROOT.parent / "shared" / "renders"
LABELS = ROOT / "bench" / "labels" / "real_clips.json"
# What MediaPipe shows of each fault's size (../shared/mediapipe_notes.md), applied to the landmark-level
# series: parameter -> factor.  Heel travel is compressed separately (MEDIAPIPE_LIKE.heel_compression).
SEEN = {
    "arch_collapse": {"roll_deg": 0.2},
    "roll_out": {"roll_deg": 0.08},
    "hips_not_level": {"drop_deg": 0.33},
    "torso_help": {"trunk_deg": 0.7, "hip_cm": 0.98},
    "knee_drive": {"bend_deg": 0.74},
    "bounce": {"rebound_cm": 0.2},
}


def run_analysis(series, config) -> tuple[dict[str, Any] | None, str | None]:
    """formcheck's report dict of a series, or its one-line error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return analysis_to_dict(analyze_series(series, config)), None
    except FormcheckError as exc:
        return None, str(exc).splitlines()[0][:90]


def truth_reps(truth) -> list[TrueRep]:
    """TrueReps of a formcheck.synth Truth (faults with their grade and primary size)."""
    out = []
    lowerings = [r.eccentric_s for r in truth.reps if r.eccentric_s is not None]
    typical = float(np.median(lowerings)) if lowerings else None
    for r in truth.reps:
        sizes = {f["id"]: (f["grade"], f["size"]) for f in r.fault_sizes}
        faults = {fid: sizes.get(fid, ("legacy", None)) for fid in r.faults}
        out.append(
            TrueRep(
                r.t_start,
                r.t_top_start,
                r.t_top_end,
                r.t_bottom,
                r.t_end,
                {k: getattr(r, k) for k in PHASES},
                faults,
                set_lowering=typical,
            )
        )
    return out


def stored_clips(split: str, store: Path = STORE) -> Iterator[tuple[Any, Any, Any, np.ndarray | None]]:
    """(spec, landmarks, truth, true leg points) of the evaluation set's clips of this split ("all": both) whose
    landmarks are stored."""
    manifest = store / "manifest.json"
    if not manifest.exists():
        return
    for d in json.loads(manifest.read_text())["clips"]:
        spec = clip_from_dict(d)
        if split != "all" and spec.split != split:
            continue
        try:
            series, truth, true_leg = load_clip(spec.name, store)
        except OSError:
            continue
        yield spec, series, truth, true_leg


def rendered(split: str, config, store: Path = STORE) -> list[Scored]:
    """The evaluation set's clips of this split whose landmarks are stored."""
    out = []
    for spec, series, truth, true_leg in stored_clips(split, store):
        report, error = run_analysis(series, config)
        out.append(
            Scored(
                "renders",
                spec.name,
                spec.split,
                spec.view_group,
                truth_reps(truth),
                report,
                error,
                naive_count(series),
                extra=leg_errors(series, true_leg, truth.side),
                motion=spec.script.get("ramp", "min_jerk"),  # script_to_dict leaves out the default
            )
        )
    return out


def leg_errors(series, true_leg: np.ndarray | None, side: str) -> dict[str, float]:
    """Median distance of MediaPipe's working-leg points from the truth, % of the true thigh + shank length,
    and the share of frames with a pose."""
    out = {"detected": float(series.found.mean())}
    if true_leg is None:
        return out
    k = {p: LEG_POINTS.index(f"{side}_{p}") for p in ("hip", "knee", "ankle", "heel", "foot_index")}
    leg = np.linalg.norm(true_leg[:, k["hip"]] - true_leg[:, k["knee"]], axis=1) + np.linalg.norm(
        true_leg[:, k["knee"]] - true_leg[:, k["ankle"]], axis=1
    )
    for part, j in k.items():
        err = np.linalg.norm(series.xy[:, INDEX[f"{side}_{part}"]] - true_leg[:, j], axis=1) / leg
        out[part] = float(100 * np.nanmedian(err)) if np.isfinite(err).any() else float("nan")
    return out


def seen_script(script: SetScript) -> SetScript:
    """The script with each sized fault shrunk to what MediaPipe shows of it (SEEN)."""
    reps = []
    for rep in script.reps:
        sizes = []
        for s in rep.sizes:
            scale = SEEN.get(s.fault, {})
            sizes.append(FaultSize(s.fault, s.grade, tuple((k, v * scale.get(k, 1.0)) for k, v in s.params)))
        reps.append(replace(rep, sizes=tuple(sizes)))
    return replace(script, reps=tuple(reps))


def synth_series(seed: int, group: str, fault: str) -> tuple[Any, Any, SetScript]:
    """One landmark-level series: every grade of `fault` among clean reps, filmed from `group`; with its truth
    and its set script (the script's ramp is the true rises' and lowerings' shape)."""
    rng = np.random.default_rng([seed, VIEW_GROUPS.index(group), FAULT_IDS.index(fault)])
    name = f"synth_{group}_{fault}_{seed}"
    script = draw_set(rng, [(fault, g) for g in grades_of(fault)], name, seed, 30.0)
    # the rise and lowering shape: the renders' min-jerk (very gradual starts and ends) or the raised cosine that
    # hand-labelled real reps fit best, half and half: the phase edges are only as sharp as people make them
    script = replace(script, ramp=("min_jerk", "cosine")[int(rng.integers(2))])
    cam = draw_camera(rng, group)
    scale = float(rng.uniform(0.9, 1.12))
    body = scaled_body(scale, float(rng.uniform(0.9, 1.15)))
    tall = script.step_height_m + 1.67 * scale + 0.12
    series, _ = make_series(
        seen_script(script),
        view=cam["view"],
        corruption=MEDIAPIPE_LIKE,
        seed=seed,
        width=cam["width"],
        height=cam["height"],
        distance=cam["distance"],
        camera_height_m=cam["height_m"],
        azimuth_offset_deg=azimuth_offset(cam, script.side),
        body=body,
        span_m=max(cam["span_m"], tall + 0.35),
        target_height_m=tall / 2,
    )
    return series, compute_truth(script, body=body), script


def synth_one(seed: int, group: str, fault: str) -> tuple[Any, Any, str]:
    """synth_series with the series' name in place of its script."""
    series, truth, script = synth_series(seed, group, fault)
    return series, truth, script.name


def synth(split: str, n_seeds: int, config) -> list[Scored]:
    """Landmark-level series: seeds 0..n_seeds-1 (even: tune, odd: report) x views x faults."""
    out = []
    for seed in range(n_seeds):
        if split != "all" and split_of(seed) != split:
            continue
        for group in VIEW_GROUPS:
            for fault in FAULT_IDS:
                series, truth, script = synth_series(seed, group, fault)
                report, error = run_analysis(series, config)
                reps, naive = truth_reps(truth), naive_count(series)
                out.append(
                    Scored("synth", script.name, split_of(seed), group, reps, report, error, naive, motion=script.ramp)
                )
    return out


def _gt_reps(reps: list[dict], grade: str) -> list[TrueRep]:
    lowerings = [r["eccentric_s"] for r in reps if r.get("eccentric_s") is not None]
    return [
        TrueRep(
            r["t_start"],
            r["t_top_start"],
            r["t_top_end"],
            r["t_bottom"],
            r["t_end"],
            {k: r.get(k) for k in PHASES},
            {f: (grade, None) for f in r.get("faults", [])},
            set_lowering=float(np.median(lowerings)) if lowerings else None,
        )
        for r in reps
    ]


def shared_renders(
    config, cache: Path | None, folder: Path = SHARED_RENDERS, log: Callable[[str], None] = print
) -> list[Scored]:
    """The outside renders (their own truth format, *_gt.json)."""
    if not folder.is_dir():
        log(f"({folder} not present: shared renders skipped; see --shared)")
        return []
    out = []
    for gt in sorted(folder.glob("*_gt.json")):
        video = gt.with_name(gt.name.replace("_gt.json", ".mp4"))
        if not video.exists():
            continue
        d = json.loads(gt.read_text())
        series = landmarks(video, cache).series
        report, error = run_analysis(series, config)
        out.append(
            Scored(
                "shared",
                video.stem,
                "all",
                d["view"],
                _gt_reps(d["reps"], "real-size"),
                report,
                error,
                naive_count(series),
            )
        )
    return out


def both_tracks(series) -> tuple[tuple[str, Any], ...]:
    """The same landmarks on MediaPipe's own heels and toes and on the refined ones: (track name, series) pairs."""
    return (("MediaPipe", replace(series, refined=None)), ("refined", series))


def label_rep(r: dict[str, Any]) -> TrueRep:
    """A hand-labelled rep (bench/labels/real_clips.json, second_opinion.json) as a TrueRep: each phase where both
    its ends are labelled."""
    times = [r.get(k) for k in ("t_start", "t_top_start", "t_top_end", "t_bottom", "t_end")]
    phases = {
        k: (b - a if a is not None and b is not None else None)
        for k, (a, b) in zip(PHASES, zip(times, times[1:], strict=False), strict=True)
    }
    if r.get("end_kind", "next_rep") != "next_rep":
        # the label's t_end is the clip's end or a step-off, not a next rise: it ends no bottom pause
        phases["bottom_pause_s"] = None
    clear = {f["id"]: ("clear", None) for f in r.get("faults_seen", []) if f.get("certainty") == "clear"}
    unsure = {f["id"] for f in r.get("faults_seen", []) if f.get("certainty") != "clear"}
    unsure |= {f["id"] for f in r.get("faults_not_judgeable", [])}
    t = [np.nan if v is None else float(v) for v in times]
    return TrueRep(*t, phases, clear, unsure, set(r.get("faults_checked_absent", [])))


def real(
    config, cache: Path | None, labels: Path = LABELS, videos: Path = SHARED, log: Callable[[str], None] = print
) -> list[Scored]:
    """The real clips against hand labels; a clip with rep_count null must be refused (or give 0 reps)."""
    if labels.exists():
        clips = json.loads(labels.read_text())["clips"]
    elif (videos / "MANIFEST.md").exists():
        log(f"(no hand labels at {labels}: rep counts only, from {videos / 'MANIFEST.md'})")
        clips = {name: {"rep_count": n, "reps": []} for name, n in manifest_reps(videos / "MANIFEST.md").items()}
    else:
        log(f"(no hand labels at {labels} and no {videos}: real clips skipped)")
        return []
    out = []
    for name, lab in clips.items():
        video = videos / name
        if not video.exists():
            log(f"(labelled clip {name} not in {videos}: skipped)")
            continue
        series = landmarks(video, cache).series
        report, error = run_analysis(series, config)
        reps = [label_rep(r) for r in lab.get("reps", [])]
        n_true = lab.get("rep_count")
        out.append(
            Scored(
                "real",
                Path(name).stem,
                "all",
                "real",
                reps,
                report,
                error,
                naive_count(series),
                true_count=0 if n_true is None else n_true,
                counts_only=not lab.get("reps"),
            )
        )
    return out
