"""formcheck on the evaluation set: rep counts, faults per view and size grade, tempo, detection curves.

    python3 bench/evaluate.py [--split tune|report|all] [--plots DIR] [--config FILE] [--json OUT]
                              [--sources renders,synth,shared,real] [--synth-seeds 8] [--labels FILE]

Choose thresholds on `--split tune`, report them on `--split report`, on ../shared/renders and on the real
clips (../shared/videos with bench/labels/real_clips.json) as a whole, never per clip.  Sources, the rep
matching rule and what counts as right and wrong: bench/eval_sources.py, bench/eval_scoring.py and
docs/evaluation.md.  A naive threshold counter (bench/accuracy.py) counts reps beside formcheck.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import ROOT
from eval_scoring import (
    PHASE_NAMES,
    PHASES,
    Scored,
    Tally,
    phase_summary,
    precision_by,
    recall_by,
    score,
    smallest_reliable,
)
from eval_sources import LABELS, SHARED_RENDERS, real, rendered, shared_renders, synth

from formcheck.api import load_config
from formcheck.synth.grades import GRADE_NAMES, PRIMARY
from formcheck.synth.script import FAULT_IDS
from tools.evalset.manifest import VIEW_GROUPS

SOURCES = ("renders", "synth", "shared", "real")
TITLES = {
    "renders": "rendered evaluation set (stored model landmarks)",
    "synth": "landmark-level synthetic series (MediaPipe-like corruption, sizes as MediaPipe sees them)",
    "shared": "../shared/renders (made outside the project, real-size faults)",
    "real": "real clips vs hand labels (a 'possible' label counts as neither right nor wrong)",
}


def fmt(a: int, n: int) -> str:
    return f"{a}/{n} {a / n:4.2f}" if n else "-"


def views_of(t: Tally) -> list[str]:
    seen = {k[1] for k in list(t.tp) + list(t.fn) + list(t.fp) + list(t.neither)} | set(t.clean_n)
    return [v for v in VIEW_GROUPS if v in seen] + sorted(seen - set(VIEW_GROUPS))


def grades_of_tally(t: Tally) -> list[str]:
    seen = {k[2] for k in list(t.tp) + list(t.fn)}
    return [g for g in GRADE_NAMES if g in seen] + sorted(seen - set(GRADE_NAMES))


def print_counts(clips: list[Scored]) -> None:
    right = sum(c.report is not None and len(c.reps) == c.n_true for c in clips)
    refused_ok = sum(c.report is None and c.n_true == 0 for c in clips)
    naive = sum(c.naive_count == c.n_true for c in clips)
    err = [abs((len(c.reps) if c.report else 0) - c.n_true) for c in clips]
    print(
        f"  rep counts right: formcheck {right + refused_ok}/{len(clips)}, naive counter {naive}/{len(clips)}; "
        f"mean |count error| formcheck {sum(err) / max(len(err), 1):.2f}"
    )
    for c in clips:
        found = "refused" if c.report is None else str(len(c.reps))
        if c.report is None and c.n_true == 0 or c.report is not None and len(c.reps) == c.n_true:
            continue
        why = f"  ({c.error})" if c.error else ""
        print(f"    {c.name:36s} {c.view:13s} found {found:>7s} / true {c.n_true:<3d} naive {c.naive_count}{why}")


def print_landmarks(clips: list[Scored]) -> None:
    """MediaPipe's working-leg error against the render's truth, per view (median over clips)."""
    parts = ("hip", "knee", "ankle", "heel", "foot_index")
    print("  MediaPipe working-leg error, median over clips of the per-clip median, % of thigh + shank; detected:")
    for v in VIEW_GROUPS:
        rows = [c.extra for c in clips if c.view == v and "heel" in c.extra]
        if rows:
            cells = " ".join(f"{p} {np.nanmedian([r[p] for r in rows]):4.1f}" for p in parts)
            print(f"    {v:14s} {cells}   frames with a pose {min(r['detected'] for r in rows):.0%} (worst clip)")


def print_faults(t: Tally) -> None:
    views, grades = views_of(t), grades_of_tally(t)
    head = "".join(f"{'R ' + g:>17s}" for g in grades)
    print(f"  {'fault':16s}{'view':14s}{head}{'precision':>16s}{'clean false-flag':>19s}{'neither':>9s}")
    for fid in FAULT_IDS:
        first = True
        for v in views:
            cells = []
            for g in grades:
                found, n, nc = recall_by(t, fid, v, g)
                na, lk = t.na.get((fid, v, g), 0), t.lk.get((fid, v, g), 0)
                marks = (f" nc{nc}" if nc else "") + (f" na{na}" if na else "") + (f" lk{lk}" if lk else "")
                cells.append(fmt(found, n) + marks)
            tp, flagged = precision_by(t, fid, v)
            clean = t.clean_n.get(v, 0)
            neither = t.neither.get((fid, v), 0)
            if not any(recall_by(t, fid, v, g)[1] for g in grades) and not flagged and not neither:
                continue
            print(
                f"  {fid if first else '':16s}{v:14s}"
                + "".join(f"{c:>17s}" for c in cells)
                + f"{fmt(tp, flagged):>16s}{fmt(t.clean_fault.get((fid, v), 0), clean):>19s}{neither:9d}"
            )
            first = False
    print(
        "  clean reps flagged with any fault: "
        + ", ".join(f"{v} {fmt(t.clean_any.get(v, 0), t.clean_n.get(v, 0))}" for v in views if t.clean_n.get(v))
    )
    print(
        "  clean reps with a 'look at this rep' note: "
        + ", ".join(f"{v} {fmt(t.clean_look.get(v, 0), t.clean_n.get(v, 0))}" for v in views if t.clean_n.get(v))
    )
    print(
        "  (R = recall: found/injected; nc = misses the report marked 'not checked'; lk = misses it showed as"
        " 'look at this rep'; na = on a set's last rep,"
        " which formcheck does not judge bounce on, left out; precision over all grades;"
        " neither = flags counted neither right nor wrong: don't-care reps, 'possible' or unjudged labels)"
    )


def print_tempo(t: Tally) -> None:
    print(f"  {'phase':14s}{'median |err|':>14s}{'max':>8s}{'> 0.5 s':>9s}{'reps':>6s}")
    for k in PHASES:
        s = phase_summary(t.phase_err.get(k, []))
        if s:
            print(f"  {PHASE_NAMES[k]:14s}{s[0]:14.2f}{s[1]:8.2f}{s[2]:9.0%}{s[3]:6d}")
    s = phase_summary(t.start_err)
    if s:
        print(f"  {'rep start':14s}{s[0]:14.2f}{s[1]:8.2f}{s[2]:9.0%}{s[3]:6d}")
    views = [v for v in views_of(t) if t.view_err.get(("start", v))]
    if len(views) > 1:
        print_breakdown("per view, median |error| s (share > 0.5 s):", views, t.view_err)
    motions = sorted({m for _, m in t.motion_err})
    if motions:
        title = "per motion shape of the true rises and lowerings (min-jerk: very gradual starts and ends):"
        print_breakdown(title, motions, t.motion_err)


def print_breakdown(title: str, groups: list[str], errors: dict) -> None:
    """Median |error| (and the share over 0.5 s) per phase, one row per group; errors: (phase, group) -> list."""
    print(f"  {title}")
    print(f"    {'':14s}" + "".join(f"{PHASE_NAMES.get(k, 'rep start'):>14s}" for k in PHASES + ("start",)))
    for g in groups:
        cells = []
        for k in PHASES + ("start",):
            e = phase_summary(errors.get((k, g), []))
            cells.append(f"{e[0]:.2f} ({e[2]:.0%})" if e else "-")
        print(f"    {g:14s}" + "".join(f"{c:>14s}" for c in cells))


def print_limits(t: Tally) -> None:
    views = [v for v in views_of(t) if v in VIEW_GROUPS]
    print("  smallest grade found >= 80 % (and every larger grade too), size range in the fault's unit:")
    print(f"  {'fault':16s}" + "".join(f"{v:>26s}" for v in views))
    for fid in FAULT_IDS:
        cells = [smallest_reliable(t, fid, v, PRIMARY[fid][2]) for v in views]
        print(f"  {fid:16s}" + "".join(f"{c:>26s}" for c in cells) + f"   [{PRIMARY[fid][1]}]")


def curve_points(t: Tally, fault: str, view: str) -> list[tuple[float, float, int]]:
    """(median size, recall, n) per grade."""
    out = []
    for g in GRADE_NAMES:
        rows = [(s, hit) for f, v, gg, s, hit in t.sizes if f == fault and v == view and gg == g and s is not None]
        if rows:
            sizes = sorted(s for s, _ in rows)
            out.append((sizes[len(sizes) // 2], sum(h for _, h in rows) / len(rows), len(rows)))
    return out


def plot_curves(tallies: dict[str, Tally], path: Path, split: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 4, figsize=(17, 11.5))
    colors = dict(zip(VIEW_GROUPS, ("C0", "C1", "C2", "C3", "C4"), strict=True))
    styles = {"renders": ("-", "o"), "synth": ("--", "x")}
    for ax, fid in zip(axes.ravel(), FAULT_IDS, strict=False):
        name, unit, direction = PRIMARY[fid]
        for source, t in tallies.items():
            if source not in styles:
                continue
            for v in VIEW_GROUPS:
                pts = curve_points(t, fid, v)
                if pts:
                    ls, mk = styles[source]
                    ax.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        ls,
                        marker=mk,
                        color=colors[v],
                        label=f"{v} ({source})",
                    )
        ax.axhline(0.8, color="grey", lw=0.6, ls=":")
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(fid, fontsize=10)
        ax.set_xlabel(f"{name} [{unit}]", fontsize=8)
        if direction < 0:
            ax.invert_xaxis()
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    for ax in axes.ravel()[len(FAULT_IDS) :]:
        ax.axis("off")
    if handles:
        axes.ravel()[-1].legend(handles, labels, loc="center", fontsize=8)
    fig.suptitle(
        f"formcheck detection curves: recall vs fault size (per grade, median size), split {split}; "
        "solid = rendered clips, dashed = landmark-level series; dotted line = 80 %"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def tally_json(t: Tally) -> dict:
    key = lambda k: "|".join(map(str, k)) if isinstance(k, tuple) else k
    out = {
        name: {key(k): v for k, v in getattr(t, name).items()}
        for name in ("tp", "fn", "nc", "na", "lk", "fp", "neither", "clean_n", "clean_any", "clean_fault", "clean_look")
    }
    out["phase"] = {k: phase_summary(v) for k, v in t.phase_err.items()}
    out["rep_start"] = phase_summary(t.start_err)
    out["phase_by_motion"] = {key(k): phase_summary(v) for k, v in t.motion_err.items()}
    out["counts"] = t.counts
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tune", "report", "all"), default="all")
    ap.add_argument("--sources", default=",".join(SOURCES), help=f"comma-separated, of {', '.join(SOURCES)}")
    ap.add_argument("--plots", type=Path, default=None, help="folder for detection_curves_<split>.png")
    ap.add_argument("--config", type=Path, default=None, help="a formcheck TOML settings file to evaluate")
    ap.add_argument("--synth-seeds", type=int, default=8, help="landmark-level series seeds (even tune, odd report)")
    ap.add_argument("--labels", type=Path, default=LABELS, help="hand labels of the real clips")
    ap.add_argument(
        "--shared",
        type=Path,
        default=SHARED_RENDERS.parent,
        help="the shared folder holding renders/ and videos/ (default ../shared)",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/formcheck-bench-cache"),
        help="landmark cache for the shared renders and real clips",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    args = ap.parse_args(argv)
    config = load_config(args.config) if args.config else None
    sources = [s for s in args.sources.split(",") if s]
    tallies: dict[str, Tally] = {}
    print(f"formcheck evaluation, split {args.split}; settings {args.config or 'default'}")
    for source in sources:
        start = time.monotonic()
        clips = {
            "renders": lambda: rendered(args.split, config),
            "synth": lambda: synth(args.split, args.synth_seeds, config),
            "shared": lambda: shared_renders(config, args.cache, args.shared / "renders"),
            "real": lambda: real(config, args.cache, args.labels, args.shared / "videos"),
        }[source]()
        print(
            f"\n== {TITLES[source]}: {len(clips)} clips, {sum(len(c.truth) for c in clips)} true reps "
            f"({time.monotonic() - start:.0f} s)"
        )
        if not clips:
            continue
        t = Tally()
        for c in clips:
            score(c, t)
        tallies[source] = t
        print_counts(clips)
        if source == "renders":
            print_landmarks(clips)
        if all(c.counts_only for c in clips):
            continue
        print_faults(t)
        print("  tempo vs truth (matched reps):")
        print_tempo(t)
        if source in ("renders", "synth"):
            print_limits(t)
    if args.plots and tallies:
        path = args.plots / f"detection_curves_{args.split}.png"
        plot_curves(tallies, path, args.split)
        print(f"\ndetection curves: {path}")
    if args.json:
        args.json.write_text(json.dumps({s: tally_json(t) for s, t in tallies.items()}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
