"""`formcheck serve`: the JSON API through Starlette's test client, and the server as a process (Ctrl-C, restart).

The security tests run without the analysis worker (start_worker=False: a job is only queued); the end-to-end
tests analyze the demo clip (a rendered 16 s set of four clean reps) as `formcheck analyze` would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from formcheck.cli import demo_clip
from formcheck.serve import ServeSettings, create_app
from formcheck.serve.jobs import INTERRUPTED, Job, JobStore
from formcheck.serve.upload import display_name

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[1]


def client(
    out: Path, worker: bool = False, max_mb: int = 1024, history: Path | None = None, save: bool = False
) -> TestClient:
    settings = ServeSettings(out, TOKEN, max_mb, str(history) if history else None, save=save)
    return TestClient(create_app(settings, start_worker=worker))


def post_video(c: TestClient, name: str, data: bytes, headers: dict | None = None, **fields: str):
    return c.post(
        "/api/analyze",
        headers=AUTH if headers is None else headers,
        files={"video": (name, data, "video/mp4")},
        data=fields,
    )


def store_of(c: TestClient) -> JobStore:
    return c.app.app.state.store  # TokenGate -> Starlette


@pytest.fixture(scope="module")
def demo_bytes() -> bytes:
    return demo_clip().read_bytes()


# --- nobody let in ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/api/jobs", "/api/jobs/20260101-000000-abcdef12", "/history", "/jobs/20260101-000000-abcdef12/report.html"],
)
@pytest.mark.parametrize("how", ["none", "wrong query", "wrong bearer", "wrong cookie", "prefix"])
def test_every_request_without_the_token_is_refused(tmp_path: Path, path: str, how: str) -> None:
    headers, url = {}, path
    if how == "wrong query":
        url = f"{path}?token=nope"
    elif how == "wrong bearer":
        headers = {"Authorization": "Bearer nope"}
    elif how == "wrong cookie":
        headers = {"Cookie": "formcheck_token=nope"}
    elif how == "prefix":
        headers = {"Authorization": f"Bearer {TOKEN[:-1]}"}
    with client(tmp_path) as c:
        r = c.get(url, headers=headers)
    assert r.status_code == 401
    assert "access token" in r.text


def test_an_upload_without_the_token_is_refused_and_nothing_is_kept(tmp_path: Path, demo_bytes: bytes) -> None:
    with client(tmp_path) as c:
        r = post_video(c, "set.mp4", demo_bytes, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
        assert store_of(c).all() == []
    assert list((tmp_path / ".serve" / "uploads").iterdir()) == []


def test_the_token_is_taken_from_the_query_then_from_its_cookie(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        first = c.get(f"/?token={TOKEN}")
        assert first.status_code == 200 and "Record or choose a video" in first.text
        assert "formcheck_token" in first.headers["set-cookie"] and "HttpOnly" in first.headers["set-cookie"]
        assert first.headers["referrer-policy"] == "no-referrer"  # the token in the address goes nowhere else
        assert c.get("/api/jobs").status_code == 200  # the cookie, as the page's own requests and the <video>
        c.cookies.clear()
        assert c.get("/api/jobs").status_code == 401
        assert c.get("/api/jobs", headers=AUTH).json() == {"jobs": []}


@pytest.mark.parametrize(
    "server_save,form,expected",
    [(False, {}, False), (False, {"save": "1"}, True), (True, {}, True), (True, {"save": "0"}, False)],
)
def test_save_follows_the_form_else_the_servers_save_option(
    tmp_path: Path, demo_bytes: bytes, server_save: bool, form: dict, expected: bool
) -> None:
    with client(tmp_path, save=server_save) as c:
        page = c.get("/", headers=AUTH).text
        job = store_of(c).get(post_video(c, "set.mp4", demo_bytes, **form).json()["id"])
    assert job.save is expected
    assert ('id="save" name="save" checked' in page) is server_save


def test_the_page_has_the_file_input_a_phone_needs(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        html = c.get("/", headers=AUTH).text
    assert 'type="file"' in html and 'accept="video/*"' in html and 'capture="environment"' in html
    assert 'name="viewport"' in html
    for value in ("auto", "left", "right"):
        assert f'<option value="{value}"' in html


# --- nothing lost, nothing wrong accepted -------------------------------------------------------------------


def test_an_upload_over_the_limit_gets_413_with_a_message(tmp_path: Path) -> None:
    with client(tmp_path, max_mb=1) as c:
        r = post_video(c, "big.mp4", b"\0" * ((1 << 20) + 10))
    assert r.status_code == 413
    assert "1 MB" in r.json()["error"] and "--max-upload-mb" in r.json()["error"]
    assert list((tmp_path / ".serve" / "uploads").iterdir()) == []


def test_an_upload_is_stopped_at_the_limit_while_it_streams(tmp_path: Path) -> None:
    """The body is parsed as it arrives and written to disk: reading stops at the limit, not after the whole
    body (the test client buffers bodies, so this drives receive_upload with the chunks a server would get)."""
    import asyncio

    from formcheck.serve.upload import UploadError, receive_upload

    taken = []

    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="video"; filename="x.mp4"\r\n\r\n'
        for _ in range(64):  # 64 MB offered
            taken.append(1)
            yield b"\1" * (1 << 20)
        yield b"\r\n--b--\r\n"

    sink = tmp_path / "sink"
    with open(sink, "wb") as fh, pytest.raises(UploadError) as err:
        asyncio.run(receive_upload("multipart/form-data; boundary=b", chunks(), fh, 2 << 20))
    assert err.value.status == 413
    assert len(taken) == 3  # the third megabyte passes the 2 MB limit: nothing more is read
    assert sink.stat().st_size <= 2 << 20


def test_an_upload_is_written_as_it_streams(tmp_path: Path) -> None:
    import asyncio

    from formcheck.serve.upload import receive_upload

    sink = tmp_path / "sink"
    sizes = []

    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="side"\r\n\r\nleft\r\n'
        yield b'--b\r\nContent-Disposition: form-data; name="video"; filename="a/b.mp4"\r\n\r\n'
        for i in range(5):
            sizes.append(sink.stat().st_size)  # what reached the file before this chunk
            yield bytes([i]) * 100_000
        yield b"\r\n--b--\r\n"

    with open(sink, "wb", buffering=0) as fh:
        upload = asyncio.run(receive_upload("multipart/form-data; boundary=b", chunks(), fh, 1 << 20))
    assert upload.fields == {"side": "left"} and upload.filename == "b.mp4" and upload.size == 500_000
    assert sizes == [0, 100_000, 200_000, 300_000, 400_000]  # each chunk on disk before the next arrives
    assert sink.read_bytes() == b"".join(bytes([i]) * 100_000 for i in range(5))


@pytest.mark.parametrize(
    "name", ["../../escape.mp4", "/etc/cron.d/escape.mp4", "..\\..\\escape.mp4", ".hidden/../escape.mp4", "a\x00b.mp4"]
)
def test_the_senders_file_name_is_never_a_path(tmp_path: Path, name: str, demo_bytes: bytes) -> None:
    out = tmp_path / "out"
    with client(out) as c:
        r = post_video(c, name, demo_bytes)
        assert r.status_code == 202, r.text
        job = store_of(c).get(r.json()["id"])
    stored = Path(job.upload)
    assert stored.parent == out / ".serve" / "uploads" and stored.name.startswith(job.id)
    assert stored.read_bytes() == demo_bytes
    assert not list(tmp_path.rglob("escape.mp4")) and not Path("/etc/cron.d/escape.mp4").exists()
    assert job.filename.endswith(".mp4") and not set(job.filename) & {"/", "\\", "\x00"}
    assert display_name(name) in ("escape.mp4", "ab.mp4")


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("notes.mp4", b"these are my notes about the set\n" * 40, "notes.mp4 is a text file, not a video"),
        ("photo.mp4", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "photo.mp4 is a picture (PNG), not a video"),
    ],
)
def test_a_non_video_gets_the_clis_one_line_message(tmp_path: Path, name: str, data: bytes, message: str) -> None:

    cli_input = tmp_path / name
    cli_input.write_bytes(data)
    with client(tmp_path / "out") as c:
        r = post_video(c, name, data)
        assert store_of(c).all() == []
    assert r.status_code == 415
    body = r.json()
    assert body["error"].startswith(message) and "\n" not in body["error"]
    assert body["exit_code"] == 2
    assert list((tmp_path / "out" / ".serve" / "uploads").iterdir()) == []
    # the same words as the CLI says for the same file
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(cli_input), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"formcheck: error: {body['error']}"


@pytest.mark.parametrize(
    "form,status,words",
    [
        ({"side": "middle"}, 400, "side must be auto, left, right or both"),
        ({"athlete": "x" * 5000}, 400, "too long"),
    ],
)
def test_bad_form_fields_are_refused(tmp_path: Path, demo_bytes: bytes, form: dict, status: int, words: str) -> None:
    with client(tmp_path) as c:
        r = post_video(c, "set.mp4", demo_bytes, **form)
        assert store_of(c).all() == []
    assert r.status_code == status and words in r.json()["error"]


def test_a_form_without_a_video_or_not_a_form_is_refused(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        r1 = c.post("/api/analyze", headers=AUTH, data={"side": "left"})
        r2 = c.post("/api/analyze", headers={**AUTH, "Content-Type": "application/json"}, content=b"{}")
        r3 = post_video(c, "empty.mp4", b"")
    assert r1.status_code == 400 and "field named 'video'" in r1.json()["error"]
    assert r2.status_code == 400 and "multipart/form-data" in r2.json()["error"]
    assert r3.status_code == 400 and "empty" in r3.json()["error"]


def test_job_files_are_only_the_outputs(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    with client(tmp_path) as c:
        for url in (
            "/jobs/..%2Fsecret.txt/report.html",
            "/jobs/20260101-000000-abcdef12/..%2F..%2Fsecret.txt",
            "/jobs/20260101-000000-abcdef12/report.html",
            "/api/jobs/nope",
        ):
            assert c.get(url, headers=AUTH).status_code == 404, url


def test_a_restart_keeps_finished_jobs_and_fails_the_interrupted_one(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    t = time.time()
    for n, (status, extra) in enumerate(
        [
            ("done", {"rep_count": 6, "finished": t}),
            ("running", {"started": t}),
            ("failed", {"error": "notes.mp4 is a text file", "exit_code": 2}),
        ]
    ):
        store.add(
            Job(
                f"20260101-00000{n}-abcdef1{n}",
                f"clip{n}.mp4",
                str(tmp_path / "x"),
                10,
                status=status,
                created=t + n,
                **extra,
            )
        )
    with client(tmp_path) as c:
        jobs = c.get("/api/jobs", headers=AUTH).json()["jobs"]
    assert [j["filename"] for j in jobs] == ["clip2.mp4", "clip1.mp4", "clip0.mp4"]  # newest first
    by_name = {j["filename"]: j for j in jobs}
    assert by_name["clip0.mp4"]["status"] == "done" and by_name["clip0.mp4"]["rep_count"] == 6
    assert by_name["clip0.mp4"]["report_url"] == "/jobs/20260101-000000-abcdef10/report.html"
    assert by_name["clip1.mp4"]["status"] == "failed" and by_name["clip1.mp4"]["error"] == INTERRUPTED
    assert by_name["clip2.mp4"]["error"] == "notes.mp4 is a text file"
    saved = json.loads((tmp_path / ".serve" / "jobs" / "20260101-000001-abcdef11.json").read_text())
    assert saved["status"] == "failed"  # on disk too


# --- end to end ----------------------------------------------------------------------------------------------


def wait_done(c: TestClient, job_id: str, seen: list | None = None, timeout: float = 600) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = c.get(f"/api/jobs/{job_id}", headers=AUTH).json()
        if seen is not None:
            seen.append(c.get("/api/jobs", headers=AUTH).json()["jobs"])
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not finished in {timeout} s")


def test_a_sample_video_is_analyzed_end_to_end_like_formcheck_analyze(tmp_path: Path, demo_bytes: bytes) -> None:
    from formcheck.cli import main

    history = tmp_path / "history.sqlite"
    out = tmp_path / "serve"
    seen: list = []
    with client(out, worker=True, history=history) as c:
        first = post_video(c, "demo.mp4", demo_bytes, side="right", athlete="sam", save="1")
        second = post_video(c, "again.mp4", demo_bytes)
        assert first.status_code == 202 and second.status_code == 202
        a = wait_done(c, first.json()["id"], seen)
        b = wait_done(c, second.json()["id"], seen)
        report_html = c.get(a["report_url"], headers=AUTH)
        video = c.get(f"/jobs/{a['id']}/annotated.mp4", headers={**AUTH, "Range": "bytes=0-1023"})
    assert a["status"] == "done", a["error"]
    assert b["status"] == "done", b["error"]
    assert a["rep_count"] == 4 and b["rep_count"] == 4 and a["progress"] == 1.0 and a["error"] is None
    assert a["saved"] is True and b["saved"] is False
    # one analysis at a time: never two running at once, and the second waited in the queue
    assert all(sum(j["status"] == "running" for j in jobs) <= 1 for jobs in seen)
    assert any(j["id"] == b["id"] and j["status"] == "queued" for jobs in seen for j in jobs)
    # progress went through the pose frames
    assert report_html.status_code == 200 and "annotated.mp4" in report_html.text
    assert video.status_code == 206 and len(video.content) == 1024  # the phone's player asks for ranges

    # the job's folder holds exactly what `formcheck analyze` writes
    clip = tmp_path / "demo.mp4"
    clip.write_bytes(demo_bytes)
    assert main(["analyze", str(clip), "-o", str(tmp_path / "cli"), "--quiet", "--side", "right"]) == 0
    job_dir = out / a["id"]
    assert sorted(p.name for p in job_dir.iterdir()) == sorted(p.name for p in (tmp_path / "cli").iterdir())
    served = json.loads((job_dir / "report.json").read_text())
    cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    for r in (served, cli):
        r["input"].pop("path")
    assert served == cli

    from formcheck.history import load_sets

    sets = load_sets(history)
    assert [(s.athlete, s.rep_count) for s in sets] == [("sam", 4)]


def test_a_crashed_analysis_fails_its_job_and_the_next_one_runs(tmp_path: Path, demo_bytes: bytes) -> None:
    with client(tmp_path, worker=True) as c:
        runner = c.app.app.state.runner
        first = post_video(c, "crash.mp4", demo_bytes).json()["id"]
        end = time.monotonic() + 300
        while c.get(f"/api/jobs/{first}", headers=AUTH).json()["status"] != "running":
            assert time.monotonic() < end
            time.sleep(0.1)
        os.kill(runner._proc.pid, signal.SIGKILL)  # as a segfault in native code would
        crashed = wait_done(c, first)
        second = wait_done(c, post_video(c, "next.mp4", demo_bytes).json()["id"])
    assert crashed["status"] == "failed" and "crashed" in crashed["error"] and "--debug" in crashed["error"]
    assert second["status"] == "done" and second["rep_count"] == 4


def test_ctrl_c_stops_the_server_cleanly_and_the_running_job_is_marked_failed(
    tmp_path: Path, demo_bytes: bytes
) -> None:
    import httpx2 as httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", "--port", "0", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = None
        for line in proc.stdout:
            if line.startswith("On this computer: "):
                url = line.split(": ", 1)[1].strip()
                break
        assert url and "token=" in url
        base, token = url.split("/?token=")
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/api/jobs", timeout=10).status_code == 401
        r = httpx.post(f"{base}/api/analyze", headers=headers, files={"video": ("set.mp4", demo_bytes)}, timeout=60)
        assert r.status_code == 202
        job_id = r.json()["id"]
        end = time.monotonic() + 300
        while httpx.get(f"{base}/api/jobs/{job_id}", headers=headers, timeout=10).json()["status"] != "running":
            assert time.monotonic() < end
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "Traceback" not in err and "stopped" in err
    state = json.loads((tmp_path / ".serve" / "jobs" / f"{job_id}.json").read_text())
    assert state["status"] == "failed" and state["error"] == INTERRUPTED


def _serve_lines(*args: str) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("On this computer: "):
            break
    return proc, lines


def test_on_all_interfaces_it_prints_the_lan_address_with_its_token_and_a_qr_code(tmp_path: Path) -> None:
    from formcheck.cli_serve import lan_address

    proc, lines = _serve_lines("--host", "0.0.0.0", "--port", "0", "--out", str(tmp_path))
    try:
        text = "".join(lines)
        local = lines[-1].split(": ", 1)[1].strip()
        token = local.split("?token=")[1]
        assert len(token) >= 20
        lan = lan_address()
        if lan is None:
            assert "no network address found" in text
        else:
            assert f"http://{lan}:" in text and f"?token={token}" in text
            assert sum("█" in line or "▀" in line or "▄" in line for line in lines) >= 10  # the QR code
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_default_host_is_this_computer_only_and_a_busy_port_is_one_line(tmp_path: Path) -> None:
    import socket

    from formcheck.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "formcheck", "serve", "--port", str(port), "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"formcheck: error: port {port} is already in use (another formcheck serve?); "
        "pass another --port, or --port 0 for any free one"
    )


def test_without_the_serve_extra_it_says_how_to_install_it(monkeypatch, capsys, tmp_path: Path) -> None:
    import builtins

    from formcheck.cli import main

    real = builtins.__import__

    def no_uvicorn(name, *args, **kwargs):
        if name.split(".")[0] == "uvicorn":
            raise ImportError("No module named 'uvicorn'", name="uvicorn")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert main(["serve", "--port", "0", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "formcheck: error: formcheck serve needs its web server (uvicorn is missing): pip install 'formcheck[serve]'"
    )


def test_serve_save_checks_the_history_before_it_serves(tmp_path, capsys, monkeypatch):
    """serve --save with a history database it cannot use: the same one-line error as analyze, exit 6, before
    a port is opened (every upload would fail to be saved)."""
    import formcheck.cli_serve as cli_serve
    from formcheck.cli import main

    monkeypatch.setattr(cli_serve, "bind", lambda *a, **k: (_ for _ in ()).throw(AssertionError("no port")))
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the history's folder should go")
    db = blocker / "h.sqlite"
    assert main(["serve", "--port", "0", "--out", str(tmp_path / "out"), "--save", "--history", str(db)]) == 6
    assert capsys.readouterr().err.strip() == (
        f"formcheck: error: could not open the history database {db} (Not a directory); pass --history PATH or "
        "set FORMCHECK_HISTORY"
    )
