"""What the repository keeps of each rendered clip: the model's landmarks and the clip's truth, small.

bench/evalset/manifest.json            the set's layout (tools.evalset.manifest)
bench/evalset/clips/NAME.npz           MediaPipe landmarks as formcheck extracted them (default settings):
                                       times, frame indices, xy in 1/20 px (int32 frame-to-frame
                                       differences, NaN as a bit mask), visibility and presence in 1/250
                                       (uint8; 255 = no pose); the true pixels of the 10 leg points at the
                                       same frames (same coding); the clip's spec hash and the extraction
                                       settings it was made with; the foot track's refined heels and
                                       toes (same coding) when it ran.  MediaPipe's z and world landmarks are
                                       not kept (formcheck's analysis reads neither; they would triple
                                       the size)
bench/evalset/clips/NAME.truth.json.gz the rep-level truth (formcheck.synth truth, without per-frame arrays)
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.synth.truth import Truth, truth_from_dict, truth_to_dict

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "bench" / "evalset"
LEG_POINTS = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("hip", "knee", "ankle", "heel", "foot_index"))
NO_U8 = 255


XY_SCALE = 20.0  # 0.05 px steps: far below MediaPipe's own jitter (about 1 px)


def _q_delta(a: np.ndarray, prefix: str) -> dict[str, np.ndarray]:
    """Pixels -> int32 steps of 1/XY_SCALE px, differenced along time, and a packed NaN mask."""
    nan = ~np.isfinite(a)
    q = np.round(np.where(nan, 0.0, a) * XY_SCALE).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros_like(q[:1]))
    return {prefix: d.astype(np.int32), prefix + "_nan": np.packbits(nan.ravel()), prefix + "_shape": np.array(a.shape)}


def _dq_delta(z, prefix: str) -> np.ndarray:
    shape = tuple(z[prefix + "_shape"])
    nan = np.unpackbits(z[prefix + "_nan"], count=int(np.prod(shape))).reshape(shape).astype(bool)
    out = np.cumsum(z[prefix].astype(np.int64), axis=0) / XY_SCALE
    out[nan] = np.nan
    return out


def _q_u8(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), np.round(np.clip(np.nan_to_num(a), 0, 1) * 250), NO_U8).astype(np.uint8)


def _dq_u8(a: np.ndarray) -> np.ndarray:
    return np.where(a == NO_U8, np.nan, a / 250.0)


def clip_paths(name: str, store: Path = STORE) -> tuple[Path, Path]:
    return store / "clips" / f"{name}.npz", store / "clips" / f"{name}.truth.json.gz"


def save_clip(name: str, series: LandmarkSeries, truth: Truth, meta: dict[str, Any], store: Path = STORE) -> int:
    """Write NAME.npz and NAME.truth.json.gz; returns their size in bytes."""
    npz, tj = clip_paths(name, store)
    npz.parent.mkdir(parents=True, exist_ok=True)
    frames = np.asarray(series.frame)
    arrays = {
        "t": series.t,
        "frame": frames.astype(np.int32),
        **_q_delta(series.xy, "xy"),
        "vis": _q_u8(series.vis),
        "size": np.array([series.width, series.height]),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
    }
    if series.presence is not None:
        arrays["presence"] = _q_u8(series.presence)
    if series.refined is not None:
        arrays.update(_q_delta(series.refined, "refined"))
    if truth.landmarks_px is not None:
        leg = [INDEX[p] for p in LEG_POINTS]
        arrays.update(_q_delta(truth.landmarks_px[frames][:, leg], "true_leg_xy"))
    with npz.open("wb") as f:
        np.savez_compressed(f, **arrays)
    d = truth_to_dict(truth)
    d.pop("frames", None)
    tj.write_bytes(gzip.compress(json.dumps(d, separators=(",", ":")).encode(), mtime=0))
    return npz.stat().st_size + tj.stat().st_size


def load_meta(name: str, store: Path = STORE) -> dict[str, Any] | None:
    """The stored clip's meta (spec hash, extraction settings), or None when it is not stored."""
    npz, tj = clip_paths(name, store)
    if not (npz.exists() and tj.exists()):
        return None
    try:
        with np.load(npz) as z:
            return json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError):
        return None


def load_clip(name: str, store: Path = STORE) -> tuple[LandmarkSeries, Truth, np.ndarray | None]:
    """(the model's landmarks, the truth, the true leg-point pixels (T, 10, 2) at the same frames)."""
    npz, tj = clip_paths(name, store)
    with np.load(npz) as z:
        w, h = (int(v) for v in z["size"])
        xy = _dq_delta(z, "xy")
        series = LandmarkSeries(
            t=z["t"],
            xy=xy,
            z=np.where(np.isnan(xy[..., 0]), np.nan, 0.0),
            vis=_dq_u8(z["vis"]),
            width=w,
            height=h,
            frame=z["frame"].astype(int),
            presence=_dq_u8(z["presence"]) if "presence" in z else None,
            refined=_dq_delta(z, "refined") if "refined" in z else None,
        )
        true_leg = _dq_delta(z, "true_leg_xy") if "true_leg_xy" in z else None
    truth = truth_from_dict(json.loads(gzip.decompress(tj.read_bytes())))
    return series, truth, true_leg
