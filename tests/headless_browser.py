"""Headless Chromium for tests (and a dev screenshot tool): load a local page with the network off.

Debian's `chromium` and `chromium-driver` (installed by .ci/run), driven by selenium with that
chromedriver (never a downloaded browser). Every non-local request is blocked and recorded, so a
test can assert the page attempted none; console messages are collected.

    with open_page(path, (390, 844)) as page:
        assert not page.console_errors() and not page.external_requests()
        page.screenshot("shot.png")            # the whole page

Tests use the `browser` fixture (conftest.py: one Chromium per session, `load()` a page per test), which skips
when Chromium is missing unless
FORMCHECK_REQUIRE_BROWSER=1 (CI), where a missing browser fails instead.
Dev: python3 tests/headless_browser.py PAGE.html OUT.png [--size 390x844]
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "chrome:", "chrome-untrusted:", "devtools:")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


def browser_missing() -> str | None:
    """Why headless Chromium cannot run here, or None."""
    try:
        import selenium  # noqa: F401 - only whether it imports
    except ImportError:
        return "selenium not installed (pip install -e '.[test]')"
    if not any(Path(p).exists() for p in CHROMIUM) or not Path(CHROMEDRIVER).exists():
        return "Debian's chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)"
    return None


class Page:
    def __init__(self, driver) -> None:
        self.driver = driver
        self._perf: list[dict] = []

    def _drain(self) -> None:
        self._perf += [json.loads(e["message"])["message"] for e in self.driver.get_log("performance")]

    def console(self) -> list[dict]:
        return self.driver.get_log("browser")

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.console() if e["level"] in ("SEVERE", "ERROR")]

    def requested_urls(self) -> list[str]:
        self._drain()
        return [m["params"]["request"]["url"] for m in self._perf if m["method"] == "Network.requestWillBeSent"]

    def external_requests(self) -> list[str]:
        """Every request the page tried outside local files and data: URIs (all were blocked)."""
        return [u for u in self.requested_urls() if not u.startswith(LOCAL_SCHEMES)]

    def count(self, css: str) -> int:
        from selenium.webdriver.common.by import By

        return len(self.driver.find_elements(By.CSS_SELECTOR, css))

    def js(self, script: str):
        return self.driver.execute_script(script)

    def screenshot(self, path: str | Path | None = None, full: bool = True) -> bytes:
        """PNG of the whole page (full=True) or the viewport; written to path if given."""
        if full:
            m = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": m["width"], "height": m["height"], "scale": 1}
            png = base64.b64decode(
                self.driver.execute_cdp_cmd(
                    "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
                )["data"]
            )
        else:
            png = self.driver.get_screenshot_as_png()
        if path is not None:
            Path(path).write_bytes(png)
        return png


@contextmanager
def chromium(size: tuple[int, int] = (1280, 900), loopback: bool = False) -> Iterator[object]:
    """A headless Chromium (selenium WebDriver) with an empty profile, network requests blocked.

    loopback=True lets it reach servers on this machine (http://127.0.0.1:PORT, for `formcheck serve`); every
    other address still goes to a dead proxy."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="formcheck-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = next(p for p in CHROMIUM if Path(p).exists())
    flags = [f for f in FLAGS if not (loopback and f.startswith("--proxy-bypass-list"))]
    for flag in (*flags, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        if not loopback:
            driver.execute_cdp_cmd(
                "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]}
            )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def load(driver, path: str | Path, size: tuple[int, int] | None = None) -> Page:
    """Open a local file in an existing browser (optionally resizing the viewport) and wait for load."""
    if size is not None:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 600},
        )
    driver.get_log("browser")
    driver.get_log("performance")  # forget what came before this page
    driver.get(Path(path).resolve().as_uri())
    return Page(driver)


def png_to_rgb(png: bytes):
    """A PNG screenshot as an RGB array (height, width, 3)."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the browser returned no PNG"
    return image[:, :, ::-1]


def count_color(image, hex_color: str, tol: int = 12) -> int:
    """Pixels of an RGB array within tol (per channel) of a #rrggbb colour."""
    import numpy as np

    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(np.abs(image.astype(int) - rgb) <= tol, axis=2).sum())


@contextmanager
def open_page(path: str | Path, size: tuple[int, int] = (1280, 900)) -> Iterator[Page]:
    with chromium(size) as driver:
        yield load(driver, path, size)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="screenshot a local page with headless Chromium")
    ap.add_argument("page")
    ap.add_argument("out")
    ap.add_argument("--size", default="390x844")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    with open_page(a.page, (w, h)) as page:
        page.screenshot(a.out)
        print("console:", page.console(), "external:", page.external_requests())
