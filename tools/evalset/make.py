"""Make the evaluation set: render each clip of the manifest into a cache folder, run formcheck's own
MediaPipe extraction on it (default settings) and store its landmarks and truth in the repository.

A clip is skipped when its stored landmarks carry the same spec hash and extraction settings; a
rendered video already in the cache (named by the spec hash) is reused.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.synth.truth import load_truth
from tools.evalset.manifest import ClipSpec, azimuth_offset
from tools.evalset.store import STORE, load_meta, save_clip

CACHE_ENV = "FORMCHECK_EVALSET_CACHE"


def cache_root() -> Path:
    """$FORMCHECK_EVALSET_CACHE or ~/.cache/formcheck-evalset."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "formcheck-evalset"


def render_config(spec: ClipSpec):
    """The tools.render settings of a clip."""
    from tools.render.mesh import BodyShape
    from tools.render.render import RenderConfig
    from tools.render.scene import Light, Look

    cam = spec.camera
    look = Look(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.look.items()})
    side = spec.script["side"]
    return RenderConfig(
        view=cam["view"],
        width=cam["width"],
        height=cam["height"],
        distance=cam["distance"],
        camera_height_m=cam["height_m"],
        noise=spec.noise,
        crf=spec.crf,
        band=spec.band,
        azimuth_offset_deg=azimuth_offset(cam, side),
        span_m=cam["span_m"],
        target_height_m=cam["target_m"],
        body=BodyShape(**spec.body),
        look=look,
        light=Light(**spec.light),
    )


def extraction_meta() -> dict[str, Any]:
    """What the stored landmarks depend on besides the video: extraction settings, model, mediapipe."""
    import mediapipe

    from formcheck.io.extract import ExtractConfig
    from formcheck.io.model import BUNDLED_SHA256

    return {
        "extract": json.loads(json.dumps(ExtractConfig().key(), default=str)),
        "model_sha256": BUNDLED_SHA256,
        "mediapipe": mediapipe.__version__,
    }


def render_clip(spec: ClipSpec, cache: Path, log=print) -> Path:
    """The clip's video in the cache (rendered unless already there); returns the path without extension."""
    from tools.render.render import render

    stem = cache / "clips" / f"{spec.name}-{spec.spec_hash}"
    if stem.with_suffix(".mp4").exists() and stem.with_name(stem.name + ".truth.json").exists():
        return stem
    start = time.monotonic()
    tmp = stem.with_name(stem.name + ".part")
    render(spec.set_script(), render_config(spec), tmp)
    tmp.with_suffix(".mp4").replace(stem.with_suffix(".mp4"))
    tmp.with_name(tmp.name + ".truth.json").replace(stem.with_name(stem.name + ".truth.json"))
    log(f"  rendered {spec.name} in {time.monotonic() - start:.0f} s")
    return stem


def make_clip(spec: ClipSpec, cache: Path, store: Path = STORE, log=print) -> str:
    """Render, extract and store one clip unless its stored landmarks match; returns what was done."""
    meta = {"spec_hash": spec.spec_hash, **extraction_meta()}
    old = load_meta(spec.name, store)
    if old is not None and all(old.get(k) == v for k, v in meta.items()):
        return "up to date"
    stem = render_clip(spec, cache, log)
    os.environ["FORMCHECK_CACHE_DIR"] = str(cache / "landmarks")
    from formcheck.api import load_input

    start = time.monotonic()
    loaded = load_input(stem.with_suffix(".mp4"), use_cache=True)
    truth = load_truth(stem.with_name(stem.name + ".truth.json"))
    meta["detection_rate"] = round(float(loaded.series.found.mean()), 4)
    size = save_clip(spec.name, loaded.series, truth, meta, store)
    log(f"  extracted {spec.name} in {time.monotonic() - start:.0f} s, stored {size / 1e3:.0f} kB")
    return "made"


def retrack_clip(spec: ClipSpec, cache: Path, store: Path = STORE, log=print) -> str:
    """Run today's foot tracker again on a clip whose stored landmarks differ from today's extraction only by the
    foot track's version (or by the frame rule's, if today's rule picks the stored frames): the video (rendered
    unless in the cache) with the stored MediaPipe landmarks, the refined points and the meta replaced. The pose
    model is not run for landmarks (the same model on the same video gives the same landmarks; the tracker reads
    them as stored, to 1/20 px, which moves its points by at most a few hundredths of a pixel), only for the
    person's masks the tracker asks for when it anchors a part."""
    from formcheck.io.extract import ExtractConfig, person_segmenter, select_frames
    from formcheck.io.foot_track import FootTracker
    from formcheck.io.pose import PoseEstimator
    from formcheck.io.video import VideoFileSource
    from tools.evalset.store import load_clip

    meta = {"spec_hash": spec.spec_hash, **extraction_meta()}
    old = load_meta(spec.name, store)
    if old is None:
        return "not stored: make it"
    if all(old.get(k) == v for k, v in meta.items()):
        return "up to date"
    differ = sorted(k for k, v in _without_track(meta).items() if _without_track(old).get(k) != v)
    if differ:
        return f"stored with another {', '.join(differ)}: make it"
    stem = render_clip(spec, cache, log)
    series, _, _ = load_clip(spec.name, store)
    refined = np.full((len(series.t), 4, 2), np.nan)
    row = {int(f): k for k, f in enumerate(series.frame)}
    kept = []
    with VideoFileSource(stem.with_suffix(".mp4")) as video, PoseEstimator(masks=True) as model:
        tracker = FootTracker(segment_person=person_segmenter(model))  # the pose model only for the person's masks
        for f in select_frames(video, ExtractConfig().max_fps):  # today's frames, checked against the stored below
            kept.append(f.index)
            k = row.get(f.index)
            if k is not None:
                refined[k] = tracker.update(f.image, float(series.t[k]), series.xy[k], series.vis[k])
    if kept != [int(f) for f in series.frame]:
        return "today's frame rule picks other frames than the stored ones: make it"
    truth = load_truth(stem.with_name(stem.name + ".truth.json"))
    meta["detection_rate"] = old.get("detection_rate")
    save_clip(spec.name, replace(series, refined=refined), truth, meta, store)
    return "foot track made again"


def _without_track(meta: dict[str, Any]) -> dict[str, Any]:
    """Extraction meta less what retrack_clip may change: the foot track's version, and the frame rule's version
    (a clip stored under an older rule is retracked only if today's rule picks the same frames, checked as it
    reads the video)."""
    return {**meta, "extract": {k: v for k, v in meta["extract"].items() if k not in ("foot_track", "frames")}}


def make_all(specs: list[ClipSpec], cache: Path, store: Path = STORE, one=make_clip) -> int:
    """Make every clip (one: make_clip, or retrack_clip); a failing clip is reported and the rest go on. Returns the
    number that failed."""
    failed = 0
    for i, spec in enumerate(specs, start=1):
        print(f"[{i}/{len(specs)}] {spec.name}", flush=True)
        try:
            print(f"  {one(spec, cache, store)}", flush=True)
        except Exception as exc:
            failed += 1
            print(f"  FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return failed
