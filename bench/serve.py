"""`formcheck serve`: upload-to-report time from a phone-size browser, and the server's memory during uploads.

1. Time: the same clip (default sample_videos/clean_side.mp4), alternately
   (a) `formcheck analyze CLIP -o DIR` in its own process (what a laptop user waits for), and
   (b) in a phone-size (390x844) headless Chromium on a running `formcheck serve`: choose the clip in the
       page's file input -> the report's rep count on screen (upload, queue, analysis, annotated video, page).
   Each run gets an empty landmark cache, so both run the pose model. Target: (b) < 1.5 x (a).
2. Memory: the server's peak RSS (its main process: the one that receives uploads) while a file of each size
   is uploaded (streamed from disk by httpx, so the client holds none of it), against a naive Starlette
   endpoint that reads the body into memory (`await request.body()`) in the same run. Target: flat with size.

Usage:  python3 bench/serve.py [--clip PATH] [--rounds 2] [--sizes 30,300] [--skip-time] [--skip-memory]
Needs formcheck[serve], Debian's chromium + chromium-driver, selenium, psutil.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

NAIVE_APP = """
import sys
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
import uvicorn

async def analyze(request):
    body = await request.body()  # the whole upload in memory
    return JSONResponse({"bytes": len(body)}, 202)

app = Starlette(routes=[Route("/api/analyze", analyze, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "FORMCHECK_CACHE_DIR": str(cache)}


def start_serve(out: Path, cache: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", "--port", "0", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env(cache),
    )
    for line in proc.stdout:
        if line.startswith("On this computer: "):
            return proc, line.split(": ", 1)[1].strip()
    raise SystemExit("formcheck serve printed no address")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def time_cli(clip: Path, tmp: Path) -> float:
    cache = Path(tempfile.mkdtemp(dir=tmp))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(clip), "-o", str(tmp / f"cli-{time.time()}"), "--quiet"],
        check=True,
        env=env(cache),
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def time_page(clip: Path, tmp: Path) -> tuple[float, str]:
    from headless_browser import chromium
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    cache = Path(tempfile.mkdtemp(dir=tmp))
    proc, url = start_serve(tmp / f"serve-{time.time()}", cache)
    try:
        with chromium((390, 844), loopback=True) as driver:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
            )
            driver.get(url)
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "video"))
            time.sleep(3)  # the phone user opens the page first; the worker is warm by the time they choose
            start = time.perf_counter()
            driver.find_element(By.ID, "video").send_keys(str(clip))
            WebDriverWait(driver, 1800, poll_frequency=0.1).until(
                lambda d: d.find_element(By.ID, "rep-count").text or d.find_element(By.ID, "message").text
            )
            driver.switch_to.frame(driver.find_element(By.ID, "report"))
            WebDriverWait(driver, 60, poll_frequency=0.1).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".big.num"))
            took = time.perf_counter() - start
            reps = driver.find_element(By.CSS_SELECTOR, ".big.num").text
    finally:
        stop(proc)
    return took, reps


class PeakRss:
    """The peak resident memory of one process, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self.peak = self.proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def upload(url: str, path: Path, token: str | None) -> int:
    import httpx2 as httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with open(path, "rb") as fh:
        r = httpx.post(url, headers=headers, files={"video": ("big.mp4", fh, "video/mp4")}, timeout=600)
    return r.status_code


def memory(sizes_mb: list[int], tmp: Path) -> list[tuple[str, int, float, float, int]]:
    """(server, MB uploaded, RSS before, peak RSS during, HTTP status) per upload."""
    files = {}
    for mb in sizes_mb:
        path = tmp / f"upload-{mb}.bin"
        with open(path, "wb") as fh:
            block = os.urandom(1 << 20)
            for _ in range(mb):
                fh.write(block)
        files[mb] = path
    rows = []
    cache = Path(tempfile.mkdtemp(dir=tmp))
    proc, url = start_serve(tmp / "serve-mem", cache, "--max-upload-mb", str(max(sizes_mb) + 10))
    base, token = url.split("/?token=")
    try:
        time.sleep(2)
        warm = tmp / "warm-up.bin"
        warm.write_bytes(os.urandom(1 << 20))
        with PeakRss(proc.pid) as rss:  # the first upload imports the video probe (OpenCV): not the upload's cost
            before = rss.peak
            status = upload(f"{base}/api/analyze", warm, token)
        rows.append(("formcheck serve (warm-up)", 1, before / 2**20, rss.peak / 2**20, status))
        for mb, path in files.items():
            with PeakRss(proc.pid) as rss:
                before = rss.peak
                status = upload(f"{base}/api/analyze", path, token)
            rows.append(("formcheck serve", mb, before / 2**20, rss.peak / 2**20, status))
    finally:
        stop(proc)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    naive = subprocess.Popen([sys.executable, "-c", NAIVE_APP, str(port)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        for mb, path in files.items():
            with PeakRss(naive.pid) as rss:
                before = rss.peak
                status = upload(f"http://127.0.0.1:{port}/api/analyze", path, None)
            rows.append(("naive: await request.body()", mb, before / 2**20, rss.peak / 2**20, status))
    finally:
        stop(naive)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "sample_videos" / "clean_side.mp4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", default="30,300", help="upload sizes in MB (default 30,300)")
    parser.add_argument("--skip-time", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="formcheck-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_time:
            print(
                f"upload-to-report, {args.clip.name} ({args.clip.stat().st_size / 1e6:.2f} MB), "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            print(f"{'round':>5}  {'formcheck analyze':>18}  {'serve, phone page':>18}  {'ratio':>6}  reps")
            ratios = []
            for k in range(args.rounds):
                cli = time_cli(args.clip, tmp)
                page, reps = time_page(args.clip, tmp)
                ratios.append(page / cli)
                print(f"{k + 1:>5}  {cli:>16.1f} s  {page:>16.1f} s  {page / cli:>6.2f}  {reps}")
            print(f"ratio serve/analyze: median {sorted(ratios)[len(ratios) // 2]:.2f} (target < 1.5)")
        if not args.skip_memory:
            sizes = [int(s) for s in args.sizes.split(",")]
            print(f"\nserver memory while receiving an upload (load average {os.getloadavg()[0]:.1f})")
            print(f"{'server':<28} {'upload':>7} {'RSS before':>11} {'peak RSS':>9} {'growth':>8}  HTTP")
            for name, mb, before, peak, status in memory(sizes, tmp):
                print(f"{name:<28} {mb:>4} MB {before:>8.0f} MB {peak:>6.0f} MB {peak - before:>5.0f} MB  {status}")


if __name__ == "__main__":
    main()
