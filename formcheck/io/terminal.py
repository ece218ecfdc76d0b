"""The terminal view of a report: a per-rep table and a short summary (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from formcheck.core.report import partly_checked, rep_heel_range
from formcheck.viz.labels import why_doubtful


def _fmt(x: Any, nd: int = 2) -> str:
    return "-" if x is None else f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def rep_table(report: dict[str, Any]) -> Table:
    partly = partly_checked(report)
    table = Table(title=f"{report['rep_count']} reps (times in seconds)", title_justify="left", header_style="bold")
    for col in ("rep", "start", "rise", "top", "lower", "bottom", "heel"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("faults", justify="left", overflow="fold")  # one per line: an 80-column terminal cuts none
    for rep in report["reps"]:
        rng = rep_heel_range(rep)
        bottom = _fmt(rep.get("bottom_pause_s")) + ("~" if rep.get("bottom_pause_estimated") else "")
        lines = [f"[{'red' if f.get('severity') == 'major' else 'yellow'}]{f['id']}[/]" for f in rep.get("faults", [])]
        lines += [f"[dim]{f['id']}?[/]" for f in rep.get("uncertain", [])]
        faults = "\n".join(lines) if lines else "[green]ok[/]"
        if rep["index"] in partly:
            faults += "*"
        table.add_row(
            str(rep["index"]),
            _fmt(rep["t_start"]),
            _fmt(rep["concentric_s"]),
            _fmt(rep["top_pause_s"]),
            _fmt(rep["eccentric_s"]),
            bottom,
            rng,
            faults,
        )
    return table


def summary_lines(report: dict[str, Any]) -> list[str]:
    views = ", ".join(f"{v['view']} {v['t_start']:.1f}-{v['t_end']:.1f} s" for v in report["views"]) or "unknown"
    lines = [f"working side: {report['side']}   views: {views}"]
    summary = report.get("summary") or {}
    if not report["rep_count"]:
        lines.append("no reps found" + (": the warnings below say why" if report.get("warnings") else ""))
    elif "clean_reps" in summary:
        lines.append(f"clean reps: {summary['clean_reps']} of {summary.get('reps', report['rep_count'])}")
    stop = report.get("stop_set")
    if stop:
        lines.append(f"[bold]stop the set at rep {stop['rep']}[/]: {stop['reason']}")
    for rep in report["reps"]:
        for f in rep.get("faults", []):
            lines.append(f"rep {rep['index']}: {f['id']}: {f.get('cue', '')}")
        for f in rep.get("uncertain", []):
            lines.append(
                f"[dim]rep {rep['index']}: look at this rep: {f['id']} is too unsure to call: {why_doubtful(f)} "
                f"(confidence {f['confidence']:.0%})[/]"
            )
    partly: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for index, (view, ids) in partly_checked(report).items():
        partly.setdefault((view, tuple(ids)), []).append(index)
    for (view, ids), indices in partly.items():
        reps = ", ".join(str(i) for i in indices)
        lines.append(
            f"[dim]* rep{'s' if len(indices) > 1 else ''} {reps} ({view} view): "
            f"{', '.join(ids)} not checked (checked on the other reps)[/]"
        )
    unchecked = [f["id"] for f in report.get("faults_not_checked", [])]
    if unchecked:  # the reasons are paragraphs: they are in report.html and report.json, not in the way here
        why = "why: report.html, or faults_not_checked in report.json"
        lines.append(f"[dim]not checked: {', '.join(unchecked)} ({why})[/]")
    lines += [f"[yellow]warning:[/] {w}" for w in report.get("warnings", [])]
    return lines


def print_report(report: dict[str, Any], out_dir: str | None = None, console: Console | None = None) -> None:
    console = console or Console()
    if report["rep_count"]:
        console.print(rep_table(report))
        legend = ["~ = last rep's bottom pause estimated from the others (bounce is not judged on it)"]
        if any(rep.get("uncertain") for rep in report["reps"]):
            legend.append(
                "fault? = too unsure to call (close to its threshold, or the leg not clearly seen): look at this rep"
            )
        for line in legend:
            console.print(f"[dim]{line}[/]", highlight=False)
    for line in summary_lines(report):
        console.print(line, highlight=False)
    if out_dir:
        console.print(f"outputs: {out_dir}", highlight=False)
