"""The history on the terminal: sets per side over time and the left-vs-right comparison (rich tables)."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from formcheck.history.page import athlete_view, group_by_athlete
from formcheck.history.sets import SetRecord
from formcheck.history.stats import ASYMMETRY_FLAG_PCT, RECENT_SETS, SetStats


def _f(x: float | int | None, nd: int = 2) -> str:
    return "-" if x is None else f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def heel_text(s: SetStats) -> str:
    if s.heel_deg is not None:
        return f"{s.heel_deg:.0f} deg"
    return "-" if s.heel_shank is None else f"{s.heel_shank:.2f} sh"


def sets_table(view: dict) -> Table:
    table = Table(
        title=f"{view['name']}: sets over time", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    for col, just in (
        ("date", "left"),
        ("side", "left"),
        ("reps", "right"),
        ("clean", "right"),
        ("heel", "right"),
        ("lower s", "right"),
        ("main fault", "left"),
        ("stop", "right"),
        ("clip", "left"),
    ):
        table.add_column(col, justify=just, no_wrap=col != "clip", overflow="ellipsis")
    for s in view["sets"]:
        table.add_row(
            s.performed_at.astimezone().strftime("%Y-%m-%d"),
            s.side,
            str(s.reps),
            _f(s.clean_reps),
            heel_text(s),
            _f(s.eccentric_s, 1),
            s.main_fault or "-",
            _f(s.stop_set_rep),
            Path(s.source).name if s.source else "-",
        )
    return table


def comparison_table(view: dict) -> Table:
    table = Table(
        title=f"{view['name']}: left vs right (median of the latest {RECENT_SETS} sets per side; "
        f"flagged above {ASYMMETRY_FLAG_PCT:g} %)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for col, just in (
        ("measure", "left"),
        ("left", "right"),
        ("right", "right"),
        ("asymmetry", "right"),
        ("flag", "left"),
    ):
        table.add_column(col, justify=just, no_wrap=col != "measure")
    for c in view["comparison"]:
        pct = "-" if c.asymmetry_pct is None else f"{c.asymmetry_pct:.0f} %"
        other = "right" if c.lower_side == "left" else "left"
        flag = f"[bold red]{c.lower_side} {c.asymmetry_pct:.0f} % below {other}[/]" if c.flagged else ""
        label = f"{c.label} ({c.unit})" if c.unit else c.label
        table.add_row(label, _g(c.left), _g(c.right), pct, flag)
    return table


def print_history(records: list[SetRecord], console: Console | None = None) -> None:
    console = console or Console()
    if not records:
        console.print("no sets saved yet: analyze a clip with --save", highlight=False)
        return
    for name, recs in group_by_athlete(records).items():
        view = athlete_view(name, recs)
        console.print(sets_table(view))
        console.print(comparison_table(view))
        faults = "; ".join(f"{side}: {f or 'none'}" for side, f in view["faults_by_side"].items())
        console.print(f"most frequent fault: {faults}", highlight=False)
