"""The evaluation set (docs/evaluation.md).

    python -m tools.evalset make [--seed 0] [--only NAME[,NAME...]] [--cache DIR]   render, extract, store
    python -m tools.evalset retrack [--only NAME[,NAME...]] [--cache DIR]            the foot track made again
    python -m tools.evalset list [--seed 0]                                         the manifest as a table
    python -m tools.evalset preview NAME OUT.png [--frame N]                        one frame of a clip

`make` writes bench/evalset/manifest.json and, per clip, bench/evalset/clips/NAME.npz (the model's
landmarks) and NAME.truth.json.gz; videos go to the cache ($FORMCHECK_EVALSET_CACHE or
~/.cache/formcheck-evalset).  Re-running skips clips whose stored landmarks match their spec.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.evalset.manifest import azimuth_offset, make_manifest, manifest_to_json  # noqa: E402 - after the repository root is put on sys.path
from tools.evalset.store import STORE  # noqa: E402 - after the repository root is put on sys.path


def _select(specs, only: str | None):
    if not only:
        return specs
    names = set(only.split(","))
    picked = [s for s in specs if s.name in names]
    missing = names - {s.name for s in picked}
    if missing:
        raise SystemExit(f"error: no clip named {', '.join(sorted(missing))} in the manifest; see `list`")
    return picked


def interleaved(specs):
    """Pairs taken in turn from each view group and the cases, so a set made only in part is balanced."""
    groups: dict[str, list] = {}
    for s in specs:
        groups.setdefault(s.view_group if s.case == "graded" else "case", []).append(s)
    queues = [list(v) for v in groups.values()]
    out = []
    while any(queues):
        for q in queues:
            out += q[:2]
            del q[:2]
    return out


def cmd_make(args) -> int:
    from tools.evalset.make import cache_root, make_all

    specs = make_manifest(args.seed)
    STORE.mkdir(parents=True, exist_ok=True)
    (STORE / "manifest.json").write_text(manifest_to_json(specs, args.seed) + "\n")
    cache = args.cache or cache_root()
    failed = make_all(interleaved(_select(specs, args.only)), cache)
    return 1 if failed else 0


def cmd_retrack(args) -> int:
    from tools.evalset.make import cache_root, make_all, retrack_clip

    specs = make_manifest(args.seed)
    failed = make_all(_select(specs, args.only), args.cache or cache_root(), one=retrack_clip)
    return 1 if failed else 0


def cmd_list(args) -> int:
    from formcheck.synth.timeline import build_timeline

    for s in make_manifest(args.seed):
        script = s.set_script()
        faults = " ".join(f"{sz.fault}:{sz.grade[0]}" for r in script.reps for sz in r.sizes) or "-"
        cam = s.camera
        print(
            f"{s.name:30s} {s.split:6s} {cam['view']:13s} az{azimuth_offset(cam, script.side):+6.1f} "
            f"{cam['width']}x{cam['height']} {script.fps:.0f}fps {build_timeline(script).duration:5.1f}s "
            f"{len(script.reps)} reps  {faults}"
        )
    return 0


def cmd_summary(args) -> int:
    """What the set holds: faulty reps per fault x view x grade (both splits), clips per view, fps, people."""
    from collections import Counter

    from formcheck.synth.grades import GRADE_NAMES
    from formcheck.synth.script import FAULT_IDS
    from formcheck.synth.timeline import build_timeline
    from tools.evalset.manifest import VIEW_GROUPS

    specs = make_manifest(args.seed)
    cells: Counter = Counter()
    reps = clean = 0
    for s in specs:
        for r in s.set_script().reps:
            reps += 1
            clean += not r.faults
            for sz in r.sizes:
                cells[(sz.fault, s.view_group, sz.grade)] += 1
    print(
        f"{len(specs)} clips, {reps} reps ({clean} clean), "
        f"{sum(build_timeline(s.set_script()).duration for s in specs) / 60:.1f} min of video"
    )
    print("faulty reps per fault x view (subtle/moderate/blatant), both splits:")
    print(f"  {'fault':16s}" + "".join(f"{v:>15s}" for v in VIEW_GROUPS))
    for f in FAULT_IDS:
        row = ["/".join(str(cells[(f, v, g)]) for g in GRADE_NAMES) for v in VIEW_GROUPS]
        print(f"  {f:16s}" + "".join(f"{c:>15s}" for c in row))
    show = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=str))
    print("clips per view:", show(Counter(s.view_group for s in specs)))
    print("cases:", show(Counter(s.case for s in specs)))
    print("fps:", show(Counter(s.set_script().fps for s in specs)))
    print("frame sizes:", show(Counter(f"{s.camera['width']}x{s.camera['height']}" for s in specs)))
    print(
        "people:",
        show(Counter("man" if s.body["gender"] > 0.5 else "woman" for s in specs)),
        f"height {min(s.body['height_cm'] for s in specs):.0f}-{max(s.body['height_cm'] for s in specs):.0f} cm,",
        "races:",
        show(Counter(s.body["race"] for s in specs)),
    )
    print(
        "clothes:",
        show(Counter(s.look["legwear"] for s in specs)),
        "|",
        show(Counter(s.look["feet"] for s in specs)),
        "| dark uniform leggings",
        sum(max(s.look["shorts"]) < 0.2 and s.look["legwear"] == "leggings" for s in specs),
    )
    print(
        "light: dim (gain < 0.75)",
        sum(s.light["gain"] < 0.75 for s in specs),
        "| tempo: demo sets",
        sum(s.set_script().reps[0].lower_s < 1.1 for s in specs),
        "(lowering under 1.1 s)",
    )
    return 0


def cmd_preview(args) -> int:
    import cv2

    from tools.evalset.make import render_config
    from tools.render.render import render

    (spec,) = _select(make_manifest(args.seed), args.name)
    cfg = render_config(spec)
    from dataclasses import replace

    out = Path(args.out)
    shot = {}

    def grab(i, n, img):
        if i == args.frame:
            shot["img"] = img

    render(spec.set_script(), replace(cfg, max_frames=args.frame + 1), out.with_suffix(""), grab)
    cv2.imwrite(str(out), shot["img"][:, :, ::-1])
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.evalset", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make", help="render, extract and store the set")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--only", default=None, help="comma-separated clip names")
    m.add_argument("--cache", type=Path, default=None, help="where rendered videos go")
    rt = sub.add_parser(
        "retrack", help="run today's foot tracker again on the stored clips (render if not cached; no pose model)"
    )
    rt.add_argument("--seed", type=int, default=0)
    rt.add_argument("--only", default=None, help="comma-separated clip names")
    rt.add_argument("--cache", type=Path, default=None, help="where rendered videos are (or go)")
    ls = sub.add_parser("list", help="print the manifest")
    ls.add_argument("--seed", type=int, default=0)
    sm = sub.add_parser("summary", help="what the set holds (faults x views x grades, people, cameras)")
    sm.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("preview", help="render one frame of a clip to a PNG")
    p.add_argument("name")
    p.add_argument("out")
    p.add_argument("--frame", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    commands = {"make": cmd_make, "retrack": cmd_retrack, "list": cmd_list, "summary": cmd_summary}
    return {**commands, "preview": cmd_preview}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
