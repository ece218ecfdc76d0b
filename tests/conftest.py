"""Shared fixtures: small videos the tests write themselves (no shipped third-party media)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

# Every report.json written while the tests run (in this process and in the ones it starts: batch workers,
# formcheck serve, the CLI) is validated against formcheck/schema/report.schema.json first (formcheck.io.report_files).
os.environ["FORMCHECK_VALIDATE_REPORTS"] = "1"


GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_series(name: str):
    """The pose model's landmarks of a sample video, stored by tools/make_golden_landmarks.py (tests/golden)."""
    from formcheck.core.landmarks import LandmarkSeries

    g = np.load(GOLDEN / f"{name}.landmarks.npz")
    w, h = (int(v) for v in g["size"])
    return LandmarkSeries(
        t=g["t"],
        xy=g["xy"].astype(float),
        z=g["z"].astype(float),
        vis=g["vis"].astype(float),
        width=w,
        height=h,
        frame=g["frame"],
    )


def spliced(first, second):
    """Two LandmarkSeries one after the other (the second's times moved to follow the first's), as one clip
    that cuts from one camera or one set to the next."""
    from formcheck.core.landmarks import LandmarkSeries

    dt = float(first.t[1] - first.t[0])
    cat = lambda a, b: None if a is None or b is None else np.concatenate([a, b])
    return LandmarkSeries(
        t=np.concatenate([first.t, first.t[-1] + dt + second.t]),
        xy=cat(first.xy, second.xy),
        z=cat(first.z, second.z),
        vis=cat(first.vis, second.vis),
        width=first.width,
        height=first.height,
        frame=np.arange(len(first) + len(second)),
        presence=cat(first.presence, second.presence),
        world=cat(first.world, second.world),
    )


def faults_side_unseen_rise(seed: int = 1):
    """The faults_side preset from the side, its working knee unseen (visibility 0) for most of the torso_help
    rep's rise, 17.85-18.25 s: that rise reads about a third seen, the rep about 0.85."""
    from dataclasses import replace

    from formcheck.core.landmarks import INDEX
    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    series, truth = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=seed)
    vis = series.vis.copy()
    vis[(series.t >= 17.85) & (series.t <= 18.25), INDEX[f"{truth.side}_knee"]] = 0.0
    return replace(series, vis=vis)


def numbered_frame(i: int, w: int = 160, h: int = 120) -> np.ndarray:
    """A frame whose mean brightness encodes its index (survives lossy coding)."""
    img = np.full((h, w, 3), (i * 8) % 250, np.uint8)
    cv2.putText(img, str(i), (5, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    return img


def write_clip(path: Path, n: int, fps: float, size: tuple[int, int] = (160, 120), fourcc: str = "mp4v") -> Path:
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), "cv2.VideoWriter could not open; OpenCV lacks an FFmpeg writer"
    try:
        for i in range(n):
            writer.write(numbered_frame(i, w, h))
    finally:
        writer.release()
    return path


def ffmpeg_exe() -> str:
    """ffmpeg from the imageio-ffmpeg wheel (a test dependency), else the system one."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        exe = shutil.which("ffmpeg")
        if exe is None:
            pytest.skip("no ffmpeg: pip install imageio-ffmpeg")
        return exe


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture
def clip30(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip30.mp4", 45, 30.0)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (selenium WebDriver) for the session; pages are opened with
    headless_browser.load(browser, path, size). Skips when Chromium is missing, unless
    FORMCHECK_REQUIRE_BROWSER=1 (CI), where that is a failure."""
    import os

    from headless_browser import browser_missing, chromium

    why = browser_missing()
    if why:
        if os.environ.get("FORMCHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FORMCHECK_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="session")
def clean_side_report(tmp_path_factory) -> dict:
    """`formcheck analyze sample_videos/clean_side.mp4 --no-video`, run once per session (the pose model on
    738 frames): {"out": its output folder, "report": report.json}."""
    import json

    from formcheck.cli import main

    out = tmp_path_factory.mktemp("clean_side")
    video = Path(__file__).resolve().parents[1] / "sample_videos" / "clean_side.mp4"
    assert main(["analyze", str(video), "-o", str(out), "--quiet", "--no-video", "--no-cache"]) == 0
    return {"out": out, "report": json.loads((out / "report.json").read_text())}


@pytest.fixture(autouse=True)
def landmark_cache_in_tmp(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty landmark cache: nothing is read from or written to the user's."""
    folder = tmp_path_factory.mktemp("landmark-cache")
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(folder))
    return folder
