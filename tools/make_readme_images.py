"""Make the README's two pictures from the project's own demo clip: docs/images/report.jpg (the top of
report.html at phone size, in headless Chromium) and docs/images/annotated.jpg (a frame of annotated.mp4 at the
top of rep 2). Both small (JPEG, 360 px wide).

Needs Debian's chromium + chromium-driver and selenium (the test extra).
Usage:  python -m tools.make_readme_images [--out docs/images]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 360
PHONE = (390, 844)
REPORT_HEIGHT = 720  # css px of the report's top: title, reps, stop-set advice, tempo


def _jpeg(image, path: Path, width: int = WIDTH) -> Path:
    import cv2

    h, w = image.shape[:2]
    small = cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), small, [cv2.IMWRITE_JPEG_QUALITY, 82, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    return path


def annotated_frame(video: Path, t: float):
    import cv2

    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
    ok, image = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"could not read {video} at {t:.2f} s")
    return image


def report_top(report_html: Path):
    import cv2
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from headless_browser import open_page

    with open_page(report_html, PHONE) as page:
        png = page.screenshot(full=True)
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return image[:REPORT_HEIGHT]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    from formcheck.cli import demo_clip
    from formcheck.pipeline import analyze_to_folder

    with tempfile.TemporaryDirectory() as tmp:
        result = analyze_to_folder(demo_clip(), Path(tmp) / "demo", use_cache=False)
        rep = json.loads((Path(tmp) / "demo" / "report.json").read_text())["reps"][1]
        t = (rep["t_top_start"] + rep["t_top_end"]) / 2
        shots = [
            _jpeg(annotated_frame(result.files["annotated_video"], t), args.out / "annotated.jpg"),
            _jpeg(report_top(result.files["report_html"]), args.out / "report.jpg"),
        ]
    for path in shots:
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
