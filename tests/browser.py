"""Headless Chromium for tests of formcheck's HTML pages (Debian package `chromium`; .ci/run installs it).

    from browser import require_browser, screenshot, dump_dom
    png = screenshot(page, tmp_path / "page.png")      # an RGB array of what a person would see
    dom = dump_dom(page)                               # the DOM after the browser parsed the page

Tests skip when no browser is installed, unless FORMCHECK_REQUIRE_BROWSER is set (CI sets it):
then a missing browser fails the test instead of hiding it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--mute-audio")


def find_browser() -> str | None:
    """$FORMCHECK_BROWSER, else the first Chromium-like browser on PATH."""
    env = os.environ.get("FORMCHECK_BROWSER")
    if env:
        return env
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def require_browser() -> str:
    browser = find_browser()
    if browser is None:
        if os.environ.get("FORMCHECK_REQUIRE_BROWSER"):
            pytest.fail("FORMCHECK_REQUIRE_BROWSER is set but no Chromium was found: apt-get install -y chromium")
        pytest.skip("no headless browser: apt-get install -y chromium (CI requires it)")
    return browser


def _run(args: list[str], timeout: float = 90.0) -> subprocess.CompletedProcess:
    browser = require_browser()
    with tempfile.TemporaryDirectory(prefix="formcheck-chromium-") as profile:
        proc = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1000, 1400)) -> np.ndarray:
    """Render a local HTML file and return the screenshot as an RGB array (height, width, 3)."""
    import cv2

    _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", Path(page).resolve().as_uri()])
    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None, f"chromium wrote no screenshot at {png}"
    return image[:, :, ::-1]


def dump_dom(page: Path) -> str:
    """The page's DOM as serialized by the browser after parsing (and running any script)."""
    return _run(["--dump-dom", Path(page).resolve().as_uri()]).stdout


def count_color(image: np.ndarray, hex_color: str, tol: int = 12) -> int:
    """Pixels within tol (per channel) of a #rrggbb colour."""
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(np.abs(image.astype(int) - rgb) <= tol, axis=2).sum())
