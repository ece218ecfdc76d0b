"""A progress bar for long runs (frames done, frames/s, time left); off with --quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text


class _FpsColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f} frames/s" if speed else "   -- frames/s", style="cyan")


@contextmanager
def frame_progress(label: str, total: int | None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yields advance(n).  Draws on stderr so stdout stays clean for --json."""
    if not enabled:
        yield lambda n=1: None
        return
    console = Console(file=sys.stderr)
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _FpsColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total or None)
        yield lambda n=1: progress.advance(task, n)
