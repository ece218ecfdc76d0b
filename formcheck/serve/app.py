"""`formcheck serve`: the web app (Starlette) a phone or a laptop uses to analyze a clip and read its report.

    GET  /                         the page: record or choose a video, progress, the report, past analyses
    POST /api/analyze              multipart `video` (+ side, athlete, save) -> 202 {"id": ...}
    GET  /api/jobs, /api/jobs/{id} the jobs, newest first / one job's status and progress
    GET  /jobs/{id}/{file}         a job's outputs (report.html, annotated.mp4, report.json, reps.csv, landmarks.csv)
    GET  /history                  the training history page

Every request needs the server's access token: `?token=` (which also sets a cookie, so the report's video and
the page's own requests carry it), `Authorization: Bearer TOKEN`, or that cookie. Without it: 401.
"""

from __future__ import annotations

import hmac
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from formcheck.serve.jobs import Job, JobStore, Runner, is_job_id, new_job_id
from formcheck.serve.upload import UploadError, receive_upload, too_large_message, upload_suffix

COOKIE = "formcheck_token"
JOB_FILES = {
    "report.html": "text/html; charset=utf-8",
    "annotated.mp4": "video/mp4",
    "report.json": "application/json",
    "reps.csv": "text/csv; charset=utf-8",
    "landmarks.csv": "text/csv; charset=utf-8",
}
SIDES = {"": None, "auto": None, "left": "left", "right": "right", "both": "both"}
# the token is in the page's address: never send it on in a Referer; files are what their type says
SECURITY_HEADERS = ((b"referrer-policy", b"no-referrer"), (b"x-content-type-options", b"nosniff"))
FORM_SLACK = 64 * 1024  # multipart headers and the text fields, on top of the video's own bytes
NO_TOKEN = (
    "this formcheck server needs its access token: open the address that 'formcheck serve' printed "
    "(it ends in ?token=...), or send Authorization: Bearer TOKEN"
)


@dataclass(frozen=True)
class ServeSettings:
    out: Path
    token: str
    max_upload_mb: int = 1024
    history: str | None = None  # the history database (None: the default one)
    save: bool = False  # --save: store sets in the history unless an upload says save=0

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb << 20


class TokenGate:
    """ASGI middleware: every HTTP request without the right token gets 401, pages and files alike."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token.encode()

    def _given(self, scope: dict) -> tuple[bytes | None, bool]:
        """(the token the request carries, whether it came in the query string)."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][-1].encode(), True
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            return auth[7:].strip(), False
        for part in headers.get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == COOKIE.encode():
                return value, False
        return None, False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, in_query = self._given(scope)
        if given is None or not hmac.compare_digest(given, self.token):
            wants_html = b"text/html" in dict(scope.get("headers") or []).get(b"accept", b"")
            response: Response = (
                HTMLResponse(f"<!doctype html><title>formcheck</title><p>{NO_TOKEN}</p>", 401)
                if wants_html
                else JSONResponse({"error": NO_TOKEN}, 401)
            )
            await response(scope, receive, send)
            return
        extra = list(SECURITY_HEADERS)
        if in_query:  # so the page's own requests and the report's <video> carry the token from now on
            extra.append((b"set-cookie", f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict".encode()))

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error(status: int, message: str, exit_code: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if exit_code is not None:
        body["exit_code"] = exit_code
    return JSONResponse(body, status)


def check_video(path: Path, shown_as: str) -> tuple[str, int] | None:
    """The CLI's own check (formcheck.io.video opening the file, formcheck.io.probe explaining why not):
    (its one-line message, with the sender's file name, and exit code) if this is no usable video."""
    from formcheck.errors import FormcheckError
    from formcheck.io.video import VideoFileSource

    try:
        with VideoFileSource(path):
            return None
    except FormcheckError as exc:
        return str(exc).replace(str(path), shown_as).replace(path.name, shown_as), exc.exit_code


def create_app(settings: ServeSettings, start_worker: bool = True) -> Any:
    """The ASGI app. start_worker=False leaves jobs queued (for tests of the API alone)."""
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    store = JobStore(out)
    runner = Runner(store, settings.history)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if start_worker:
            runner.start()
        try:
            yield
        finally:
            if start_worker:
                await run_in_threadpool(runner.stop)

    async def page(request: Request) -> Response:
        from formcheck.serve.page import page_html

        return HTMLResponse(page_html(settings.max_upload_mb, settings.save), headers={"Cache-Control": "no-store"})

    async def analyze(request: Request) -> Response:
        limit = settings.max_upload_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + FORM_SLACK:
            return error(413, too_large_message(limit))
        job_id = new_job_id()
        part = store.upload_dir / f".{job_id}.part"
        try:
            with open(part, "wb") as sink:
                upload = await receive_upload(request.headers.get("content-type", ""), request.stream(), sink, limit)
        except UploadError as exc:
            part.unlink(missing_ok=True)
            return error(exc.status, str(exc))
        except ClientDisconnect:
            part.unlink(missing_ok=True)
            return error(400, "the upload was cut off before the end; send the video again")
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        fields = upload.fields
        side = fields.get("side", "").lower()
        if side not in SIDES:
            part.unlink(missing_ok=True)
            return error(400, f"side must be auto, left, right or both, got {side!r}", 2)
        name = upload.filename or "video"
        video = store.upload_dir / f"{job_id}{upload_suffix(name)}"
        os.replace(part, video)
        bad = await run_in_threadpool(check_video, video, name)
        if bad is not None:
            video.unlink(missing_ok=True)
            return error(415, bad[0], bad[1])
        asked = fields.get("save", "").lower()
        save = asked in ("1", "true", "on", "yes") if asked else settings.save
        job = Job(
            job_id, name, str(video), upload.size, side=SIDES[side], athlete=fields.get("athlete") or None, save=save
        )
        store.add(job)
        runner.submit(job_id)
        return JSONResponse({"id": job_id, "status_url": f"/api/jobs/{job_id}"}, 202)

    async def job_status(request: Request) -> Response:
        job = store.get(request.path_params["job_id"])
        if job is None:
            return error(404, "no such job; see GET /api/jobs for the jobs of this server")
        return JSONResponse(job.to_api())

    async def jobs(request: Request) -> Response:
        return JSONResponse({"jobs": [job.to_api() for job in store.all()]})

    async def job_file(request: Request) -> Response:
        job_id, name = request.path_params["job_id"], request.path_params["name"]
        if not is_job_id(job_id) or name not in JOB_FILES or store.get(job_id) is None:
            return error(404, "no such file; a job's files are " + ", ".join(JOB_FILES))
        path = store.job_dir(job_id) / name
        if not path.is_file():
            return error(404, f"{name} is not there (yet): see GET /api/jobs/{job_id}")
        return FileResponse(path, media_type=JOB_FILES[name], headers={"Cache-Control": "no-cache"})

    async def history(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(history_html, settings.history))

    routes = [
        Route("/", page),
        Route("/api/analyze", analyze, methods=["POST"]),
        Route("/api/jobs", jobs),
        Route("/api/jobs/{job_id}", job_status),
        Route("/jobs/{job_id}/{name}", job_file),
        Route("/history", history),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.store, app.state.runner = store, runner
    return TokenGate(app, settings.token)


def history_html(db: str | None) -> str:
    """The training history page, or a page saying how to fill it."""
    from formcheck.history import default_history_path, load_sets
    from formcheck.history.page import render_history_html

    path = Path(db) if db else default_history_path()
    if not path.is_file():
        return (
            "<!doctype html><meta name=viewport content='width=device-width'><title>formcheck history</title>"
            "<p>No sets saved yet: tick <b>Save to my training history</b> before sending a video.</p>"
        )
    return render_history_html(load_sets(path))
