"""The page of `formcheck serve` in headless Chromium at phone size: choose the sample video, wait for the report,
read its rep count from the page, and keep a phone-size screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")

ROOT = Path(__file__).resolve().parents[1]
PHONE = (390, 844)


def start_server(out: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`formcheck serve --port 0` as a process; (the process, the URL it printed for this computer)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", "--port", "0", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    for line in proc.stdout:
        if line.startswith("On this computer: "):
            return proc, line.split(": ", 1)[1].strip()
    proc.kill()
    raise AssertionError(f"formcheck serve printed no address: {proc.stderr.read()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    proc, url = start_server(tmp_path / "serve")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def phone_browser():
    from headless_browser import browser_missing, chromium

    why = browser_missing()
    if why:
        if os.environ.get("FORMCHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FORMCHECK_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    with chromium(PHONE, loopback=True) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True},
        )
        yield driver


def test_choose_the_sample_video_on_a_phone_and_read_its_report(server: str, phone_browser, tmp_path: Path) -> None:
    from headless_browser import Page
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from formcheck.cli import demo_clip

    driver = phone_browser
    driver.get(server)
    page = Page(driver)
    assert driver.find_element(By.ID, "pick").text.startswith("Record or choose a video")
    driver.find_element(By.ID, "side").send_keys("right")
    driver.find_element(By.ID, "video").send_keys(str(demo_clip()))
    WebDriverWait(driver, 600).until(
        lambda d: d.find_element(By.ID, "result").is_displayed() or d.find_element(By.ID, "message").is_displayed()
    )
    assert not driver.find_element(By.ID, "message").is_displayed(), driver.find_element(By.ID, "message").text
    assert driver.find_element(By.ID, "rep-count").text == "4"
    # the report itself, in the page: its own rep count and the annotated video the phone plays
    WebDriverWait(driver, 60).until(ec.frame_to_be_available_and_switch_to_it((By.ID, "report")))
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".big.num"))
    assert driver.find_element(By.CSS_SELECTOR, ".big.num").text == "4"
    video = driver.find_element(By.TAG_NAME, "video")
    playable = driver.execute_async_script(
        "const v = arguments[0], done = arguments[1];"
        "v.preload = 'auto'; v.onloadeddata = () => done(v.videoWidth + 'x' + v.videoHeight);"
        "v.onerror = () => done('error ' + (v.error && v.error.code)); v.load();",
        video,
    )
    assert playable == "540x960"  # annotated.mp4 (H.264), decoded by the browser through the token cookie
    driver.switch_to.default_content()
    # past analyses list it; nothing sideways on a phone
    WebDriverWait(driver, 30).until(lambda d: "4 reps" in d.find_element(By.ID, "jobs").text)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    shot = Path(os.environ.get("FORMCHECK_SHOT_DIR", tmp_path)) / "serve_phone.png"
    page.screenshot(shot)
    assert shot.stat().st_size > 10_000
    errors = [e for e in page.console_errors() if "favicon" not in e]
    assert not errors


def test_the_page_refuses_a_picture_with_the_clis_message(server: str, phone_browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    picture = tmp_path / "photo.mp4"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 500)
    driver = phone_browser
    driver.get(server)
    driver.find_element(By.ID, "video").send_keys(str(picture))
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "message").is_displayed())
    assert driver.find_element(By.ID, "message").text.startswith("photo.mp4 is a picture (PNG), not a video")
    for width, height in ((360, 740), (430, 932), (1280, 800)):  # small and large phones, a laptop
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        button = driver.find_element(By.ID, "pick").rect
        assert button["width"] >= min(width - 60, 300) and button["height"] >= 56  # one big button
