"""`formcheck demo`: the clip that ships in the package, analyzed from any install."""

from __future__ import annotations

import json
from pathlib import Path

from formcheck.cli import demo_clip, main

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_clip_ships_in_the_package_and_is_small() -> None:
    clip = demo_clip()
    assert clip.parent == ROOT / "formcheck" / "data"
    assert clip.stat().st_size < 500_000
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"data/demo.mp4"' in pyproject  # package data: there after a plain pip install


def test_formcheck_demo_counts_the_four_rendered_reps_at_their_true_times(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"The report: {(out / 'report.html').resolve()}" in printed
    report = json.loads((out / "report.json").read_text())
    truth = json.loads((ROOT / "sample_videos" / "clean_side.truth.json").read_text())["reps"][:4]
    assert report["rep_count"] == 4 and report["summary"]["clean_reps"] == 4
    assert report["side"] == "right"
    for rep, true in zip(report["reps"], truth, strict=True):
        assert abs(rep["t_start"] - true["t_start"]) < 0.3
        assert abs(rep["t_bottom"] - true["t_bottom"]) < 0.3
    assert {p.name for p in out.iterdir()} >= {"report.html", "annotated.mp4", "report.json", "reps.csv"}


def test_demo_open_without_a_browser_does_not_suggest_open(tmp_path: Path, capsys, monkeypatch) -> None:
    import types
    import webbrowser

    import formcheck.pipeline

    page = tmp_path / "report.html"
    done = types.SimpleNamespace(files={"report_html": page})
    monkeypatch.setattr(formcheck.pipeline, "analyze_to_folder", lambda *a, **k: done)
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    assert main(["demo", "-o", str(tmp_path), "--quiet", "--open"]) == 0
    printed = capsys.readouterr()
    assert "--open" not in printed.out and "Your own clip: formcheck analyze VIDEO" in printed.out
    assert printed.err.strip().endswith(f"no browser found to open {page.resolve()}; open it yourself")
    assert main(["demo", "-o", str(tmp_path), "--quiet"]) == 0
    assert "(or run formcheck demo --open)" in capsys.readouterr().out
