"""The analysis process of `formcheck serve`: one at a time, apart from the web server.

A separate (spawned) process, started once and kept warm, so that the pose model's CPU work never stalls
the server, a crash in native code fails one job instead of the server, and Ctrl-C or a shutdown can stop
an analysis at once (the server terminates the process). It reads tasks from one queue and reports on
another: ("progress", id, stage, done, total), then ("done", id, result) or ("failed", id, message, exit_code).
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

PROGRESS_EVERY_S = 0.2


@dataclass(frozen=True)
class Task:
    """One analysis: what `formcheck analyze VIDEO -o OUT [--side] [--save --athlete]` would do."""

    id: str
    video: str
    out_dir: str
    side: str | None = None
    save: bool = False
    athlete: str | None = None
    history: str | None = None


def worker_main(tasks: Queue, events: Queue) -> None:
    """Run tasks until a None arrives. Ctrl-C is the server's to handle (it terminates this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import formcheck.pipeline  # noqa: F401 - warm up (cv2, mediapipe, numpy) before the first upload

    while True:
        task = tasks.get()
        if task is None:
            return
        events.put(run_task(task, events))


def run_task(task: Task, events: Queue | None = None) -> tuple:
    """Analyze one upload into its folder; the final event for it (done or failed)."""
    from formcheck.api import load_config
    from formcheck.errors import FormcheckError
    from formcheck.pipeline import analyze_to_folder

    last = [0.0]

    def progress(stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if events is not None and (now - last[0] >= PROGRESS_EVERY_S or (total and done >= total)):
            last[0] = now
            events.put(("progress", task.id, stage, done, total))

    try:
        config = load_config(None, side=task.side)
        result = analyze_to_folder(task.video, task.out_dir, config, on_progress=progress)
        saved = _save(task, result.data)
        return ("done", task.id, {"rep_count": result.data["rep_count"], "warnings": result.warnings, **saved})
    except FormcheckError as exc:
        return ("failed", task.id, str(exc), exc.exit_code)
    except Exception as exc:
        return (
            "failed",
            task.id,
            f"internal error: {type(exc).__name__}: {exc} (analyze the clip with "
            "'formcheck analyze --debug' and report it)",
            1,
        )


def _save(task: Task, data: dict[str, Any]) -> dict[str, Any]:
    """--save: the set into the training history; a failure is the job's note, not its failure."""
    if not task.save:
        return {"saved": False}
    from formcheck.errors import FormcheckError
    from formcheck.history import save_set

    try:
        save_set(task.history, data, athlete=task.athlete)
    except FormcheckError as exc:
        return {"saved": False, "save_error": str(exc)}
    return {"saved": True}
