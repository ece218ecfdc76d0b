"""The output folder of `formcheck analyze`: annotated.mp4 against the truth of an injected fault,
report.html in headless Chromium (network off), reps.csv vs report.json, --no-video, --open."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ffmpeg
from headless_browser import load

from formcheck.cli import main
from formcheck.io.landmarks_csv import save_landmarks_csv
from formcheck.pipeline import AnalyzeResult, analyze_to_folder, write_visual_outputs
from formcheck.synth import MEDIAPIPE_LIKE, load_truth, make_series, preset
from formcheck.viz.overlay import banner_top, layout_for

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CUT_S, CUT_FPS = 8.6, 15  # faults_side's first three reps: clean, bounce (major), fast lowering (minor);
# at 15 fps to halve the MediaPipe pass (the same faults are found as at 30 fps)
PHONE, DESKTOP = (390, 844), (1280, 900)
OUTPUTS = {"landmarks.csv", "report.json", "reps.csv", "annotated.mp4", "report.html"}


@pytest.fixture(scope="module")
def cut_run(tmp_path_factory):
    """The first 8.6 s of sample_videos/faults_side.mp4 at 15 fps, analyzed to a folder (one MediaPipe pass)."""
    folder = tmp_path_factory.mktemp("cut")
    video = folder / "faults_cut.mp4"
    ffmpeg(
        "-i",
        str(SAMPLES / "faults_side.mp4"),
        "-t",
        str(CUT_S),
        "-r",
        str(CUT_FPS),
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "18",
        str(video),
    )
    return video, analyze_to_folder(video, folder / "out")


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A synthetic set saved as a landmarks CSV whose name needs escaping in HTML."""
    series, truth = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=5)
    folder = tmp_path_factory.mktemp("csv")
    path = save_landmarks_csv(series, folder / "set <b>x</b> & 'q'.csv")
    return path, truth, analyze_to_folder(path, folder / "out")


def read_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return frames


def banner_colour(frame: np.ndarray) -> str | None:
    """'major' (red), 'minor' (amber) or None, from the first banner's strip."""
    h, w = frame.shape[:2]
    lay = layout_for(h, w)
    top = banner_top(lay)
    strip = frame[top + 3 : top + 3 + max(3, lay.margin // 2), lay.margin + 2 : w - lay.margin - 2].astype(int)
    b, g, r = strip[..., 0], strip[..., 1], strip[..., 2]
    if np.mean((r > 150) & (g < 100) & (b < 100)) > 0.5:
        return "major"
    if np.mean((r > 170) & (g > 110) & (b < 80)) > 0.5:
        return "minor"
    return None


def test_the_folder_holds_every_output_and_nothing_else(cut_run):
    _, result = cut_run
    assert {p.name for p in result.out_dir.iterdir()} == OUTPUTS  # no temporary files left
    assert {k: p.name for k, p in result.files.items()} == {
        "landmarks": "landmarks.csv",
        "report_json": "report.json",
        "reps_csv": "reps.csv",
        "annotated_video": "annotated.mp4",
        "report_html": "report.html",
    }


def test_annotated_video_has_the_inputs_frames_duration_and_size(cut_run):
    video, result = cut_run
    src, out = cv2.VideoCapture(str(video)), cv2.VideoCapture(str(result.files["annotated_video"]))
    props = (cv2.CAP_PROP_FRAME_COUNT, cv2.CAP_PROP_FPS, cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT)
    a, b = [src.get(p) for p in props], [out.get(p) for p in props]
    src.release(), out.release()
    assert b == pytest.approx(a) and b[0] == result.data["input"]["frames"]
    assert b[0] / b[1] == pytest.approx(result.data["input"]["duration_s"], abs=1e-3)


def test_banners_show_on_the_injected_faults_frames_and_not_on_the_clean_rep(cut_run):
    _, result = cut_run
    truth = load_truth(SAMPLES / "faults_side.truth.json")
    frames = read_frames(result.files["annotated_video"])
    t = np.arange(len(frames)) / result.data["input"]["fps"]
    colour = [banner_colour(f) for f in frames]

    def during(a: float, b: float) -> list[str | None]:
        return [c for c, ti in zip(colour, t) if a <= ti <= b]

    clean, bounce, fast = truth.reps[0], truth.reps[1], truth.reps[2]
    assert clean.faults == () and bounce.faults == ("bounce",) and fast.faults == ("fast_lowering",)
    assert set(during(0.0, clean.t_end)) == {None}  # the clean rep: never a banner
    # at the bottom and its rebound (the report's bottom comes up to 0.1 s after the truth's: 15 fps, edge fit)
    assert set(during(bounce.t_bottom + 0.1, bounce.t_bottom + 0.25)) == {"major"}
    assert set(during(fast.t_top_end + 0.2, fast.t_bottom)) == {"minor"}  # this fast lowering is minor


def test_reps_csv_and_report_json_agree_on_every_field(cut_run):
    _, result = cut_run
    reps = json.loads(result.files["report_json"].read_text())["reps"]
    rows = list(csv.DictReader(result.files["reps_csv"].open()))
    assert len(rows) == len(reps) == 3
    for row, rep in zip(rows, reps):
        lists, nested = ("faults", "uncertain", "not_checked"), ("heel_range", "vs_set", "tracking_quality_by_phase")
        flat = {
            **{k: v for k, v in rep.items() if k not in lists + nested},
            **{f"{name}_{k}": v for name in nested for k, v in rep[name].items()},
            **{name: ";".join(f if isinstance(f, str) else f["id"] for f in rep[name]) for name in lists},
        }
        assert set(row) == set(flat)
        for key, value in flat.items():
            if value is None:
                assert row[key] == "", key
            elif isinstance(value, bool) or isinstance(value, str):
                assert row[key] == str(value), key
            else:
                assert float(row[key]) == pytest.approx(value), key


def thumbnails(html: str) -> list[str]:
    return re.findall(r'src="(data:image/jpeg;base64,[^"]+)"', html)


def test_no_video_gets_the_same_thumbnails_from_a_cheap_pass(cut_run, tmp_path):
    _, result = cut_run
    again = AnalyzeResult(result.report, result.data, tmp_path)
    write_visual_outputs(again, video=False)
    assert {p.name for p in tmp_path.iterdir()} == {"report.html"}
    first = thumbnails(result.files["report_html"].read_text())
    assert len(first) == 2 * result.data["rep_count"]
    assert thumbnails(again.files["report_html"].read_text()) == first  # the very same decoded frames
    assert "annotated.mp4" not in again.files["report_html"].read_text()


def check_page_renders(browser, path: Path, size: tuple[int, int], shot: Path) -> object:
    page = load(browser, path, size)
    assert page.console_errors() == []
    assert page.external_requests() == []
    assert page.count("svg.heel-plot polyline") >= 1 and page.count("svg.tempo-bars rect") >= 1
    assert (
        page.count("table#reps tbody tr[id^=rep-]")
        == json.loads((path.parent / "report.json").read_text())["rep_count"]
    )
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    png = cv2.imdecode(np.frombuffer(page.screenshot(shot), np.uint8), cv2.IMREAD_COLOR)
    assert png.shape[1] == size[0] and png.shape[0] > size[1]  # the whole page, taller than the screen
    assert png.std() > 30 and len(np.unique(png.reshape(-1, 3)[::50], axis=0)) > 50  # not blank
    return page


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_video_report_renders_in_chromium_offline(browser, cut_run, size, tmp_path):
    _, result = cut_run
    page = check_page_renders(browser, result.files["report_html"], size, tmp_path / "shot.png")
    faults = sum(len(r["faults"]) for r in result.data["reps"])
    assert page.count("svg.heel-plot g.fault") == faults == 2
    assert page.count("svg.heel-plot g.fault.major") == 1
    assert page.count("#thumbs img") == 2 * result.data["rep_count"]
    assert page.js("return [...document.querySelectorAll('#thumbs img')].every(i => i.complete && i.naturalWidth > 0)")
    assert "rep 2" in page.js("return document.querySelector('#summary .stop').textContent")
    if size == DESKTOP:  # annotated.mp4 (H.264) loads and decodes in the browser, from the page's folder
        from selenium.webdriver.support.ui import WebDriverWait

        page.js("const v = document.querySelector('video'); v.preload = 'auto'; v.load();")
        WebDriverWait(page.driver, 30).until(
            lambda d: d.execute_script(
                "const v = document.querySelector('video'); return v.readyState >= 2 || v.error !== null"
            )
        )
        assert page.js("return document.querySelector('video').error") is None
        assert page.js("return document.querySelector('video').duration") == pytest.approx(
            result.data["input"]["duration_s"], abs=0.1
        )
        assert page.console_errors() == []


def test_csv_report_renders_escapes_the_name_and_explains_the_missing_thumbnails(browser, csv_run, tmp_path):
    path, truth, result = csv_run
    html = result.files["report_html"].read_text()
    assert "<b>x</b>" not in html and "set &lt;b&gt;x&lt;/b&gt; &amp; &#39;q&#39;.csv" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)|url\(|@import""", html)  # nothing to fetch
    page = check_page_renders(browser, result.files["report_html"], PHONE, tmp_path / "shot.png")
    assert page.js("return document.querySelector('#input-name').textContent") == path.name
    assert page.count("header b") == 0 and page.count("#thumbs img") == 0
    assert "landmarks CSV" in page.js("return document.querySelector('#thumbs-note').textContent")
    assert page.count("table#reps tbody tr[id^=rep-]") == truth.n_reps


def test_open_flag_opens_the_report_in_the_browser(csv_run, tmp_path, monkeypatch):
    path, _, _ = csv_run
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    out = tmp_path / "o"
    assert main(["analyze", str(path), "-o", str(out), "--quiet", "--open"]) == 0
    assert opened == [(out / "report.html").resolve().as_uri()] and (out / "report.html").exists()


def test_no_video_flag_reaches_the_pipeline(csv_run, tmp_path, monkeypatch):
    import formcheck.pipeline as pipeline

    calls: list[bool] = []
    real = pipeline.analyze_to_folder
    monkeypatch.setattr(pipeline, "analyze_to_folder", lambda *a, **k: calls.append(k["video"]) or real(*a, **k))
    path, _, _ = csv_run
    assert main(["analyze", str(path), "-o", str(tmp_path / "a"), "--quiet", "--no-video"]) == 0
    assert calls == [False]  # (the default, True, makes the cut video's annotated.mp4 above)
