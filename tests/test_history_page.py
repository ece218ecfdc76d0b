"""`formcheck history`: per-side progress, the left-vs-right asymmetry (known answers), the HTML page
in headless Chromium, and the --save path of `formcheck analyze`."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from headless_browser import count_color, load, png_to_rgb

from formcheck.api import analyze
from formcheck.cli import main
from formcheck.history import load_sets, save_set
from formcheck.history.page import SIDE_COLORS, render_history_html, save_history_html
from formcheck.history.stats import SetStats, asymmetry_pct, compare_sides, set_stats
from formcheck.io.landmarks_csv import save_landmarks_csv
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

UTC = timezone.utc
DAY0 = datetime(2024, 3, 1, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_real_history(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_HISTORY", str(tmp_path / "default-history.sqlite"))


def stat(side: str, day: int, **values) -> SetStats:
    base = dict(reps=10, clean_reps=8, heel_deg=20.0, heel_shank=0.2, eccentric_s=2.0)
    base.update(values)
    return SetStats(
        day,
        "sam",
        side,
        DAY0 + timedelta(days=day),
        base["reps"],
        base["clean_reps"],
        base["heel_deg"],
        base["heel_shank"],
        base["eccentric_s"],
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "left, right, pct", [(10, 9, 10.0), (11, 9, 2 / 11 * 100), (0, 0, 0.0), (20, 25, 20.0), (None, 3, None)]
)
def test_asymmetry_is_the_difference_over_the_larger(left, right, pct):
    assert asymmetry_pct(left, right) == (None if pct is None else pytest.approx(pct))


def test_compare_sides_uses_the_median_of_the_latest_three_sets_and_flags_above_ten_percent():
    sets = [
        stat("left", 0, reps=30),  # old: outside the latest three
        stat("left", 2, reps=12),
        stat("left", 4, reps=10),
        stat("left", 6, reps=11),
        stat("right", 1, reps=10),
        stat("right", 3, reps=9),
        stat("right", 5, reps=9, heel_deg=None),
        stat("right", 7, reps=9, heel_deg=15.0, eccentric_s=1.8),
        stat("both", 8, reps=1),
    ]  # both feet: not compared
    rows = {c.measure: c for c in compare_sides(sets)}
    assert (rows["reps"].left, rows["reps"].right) == (11, 9)
    assert rows["reps"].asymmetry_pct == pytest.approx(2 / 11 * 100) and rows["reps"].flagged
    assert rows["reps"].lower_side == "right" and (rows["reps"].n_left, rows["reps"].n_right) == (3, 3)
    assert (rows["heel_deg"].right, rows["heel_deg"].n_right) == (17.5, 2)  # the set without a value is left out
    assert rows["heel_deg"].asymmetry_pct == pytest.approx(12.5) and rows["heel_deg"].flagged
    assert rows["eccentric_s"].asymmetry_pct == pytest.approx(0.0) and not rows["eccentric_s"].flagged
    assert rows["clean_reps"].asymmetry_pct == 0.0 and rows["clean_reps"].lower_side is None
    exactly_ten = {c.measure: c for c in compare_sides([stat("left", 0, reps=10), stat("right", 1, reps=9)])}
    assert exactly_ten["reps"].asymmetry_pct == pytest.approx(10.0) and not exactly_ten["reps"].flagged
    only_left = {c.measure: c for c in compare_sides([stat("left", 0)])}
    assert only_left["reps"].right is None and only_left["reps"].asymmetry_pct is None and not only_left["reps"].flagged


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    out = {}
    for name, seed in (("faults_side", 31), ("clean_side", 32)):
        series, _ = make_series(preset(name), view="side", corruption=MEDIAPIPE_LIKE, seed=seed)
        out[name] = analyze(series).to_dict()
    assert (out["faults_side"]["side"], out["clean_side"]["side"]) == ("left", "right")
    return out


def _fill(db: Path, reports: dict[str, dict], athlete: str = "sam") -> None:
    for k in range(3):
        for name, shift in (("faults_side", 0), ("clean_side", 1)):
            data = copy.deepcopy(reports[name])
            data["input"]["sha256"] = f"{athlete}-{name}-{k}"
            save_set(db, data, athlete=athlete, performed_at=DAY0 + timedelta(days=2 * k + shift))


class _Resources(HTMLParser):
    """Every attribute that would make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("src", "href", "srcset", "data", "poster", "action") or (tag == "link"):
                self.fetches.append(f"{tag} {key}={value}")


def test_history_page_renders_in_headless_chromium(tmp_path, reports, browser):
    db = tmp_path / "h.sqlite"
    _fill(db, reports)
    _fill(db, reports, athlete="<script>alert('x')</script>")
    page = save_history_html(load_sets(db, athlete="sam"), tmp_path / "history.html")
    html = page.read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(html)
    assert parser.fetches == [] and "url(" not in html and "@import" not in html  # self-contained
    shown = load(browser, page, (1000, 1800))
    assert not shown.console_errors() and not shown.external_requests()
    image = png_to_rgb(shown.screenshot(tmp_path / "history.png", full=False))
    # both sides' lines were drawn: thousands of pixels in each side's colour, none of the 'both' colour
    assert count_color(image, SIDE_COLORS["left"]) > 1500 and count_color(image, SIDE_COLORS["right"]) > 1500
    assert count_color(image, SIDE_COLORS["both"], tol=4) == 0
    assert count_color(image, "#fff1e6", tol=2) > 2000  # the flagged asymmetry rows (clean reps differ by far)

    both = save_history_html(load_sets(db), tmp_path / "all.html")  # two athletes, one with a hostile name
    dom = load(browser, both, (1000, 1800)).js("return document.documentElement.outerHTML")
    assert len(re.findall(r"<svg", dom)) == 2 * 5 and len(re.findall(r"<polyline", dom)) == 2 * 5 * 2
    assert len(re.findall(r"<circle", dom)) == 2 * 5 * 6  # 5 charts x 6 sets (side view: every set has each measure)
    assert "<script>alert" not in dom and "&lt;script&gt;alert('x')&lt;/script&gt;" in dom


def test_comparison_rows_on_the_page_match_the_stats(tmp_path, reports):
    db = tmp_path / "h.sqlite"
    _fill(db, reports)
    html = render_history_html(load_sets(db))
    table = html.split('<table class="comparison">')[1].split("</table>")[0]
    flagged = [label.strip() for label in re.findall(r'<tr class="flag">\s*<td class="text">([^<(]+)', table)]
    left, right = reports["faults_side"], reports["clean_side"]
    assert (left["rep_count"], right["rep_count"]) == (10, 6)  # the truth of the two presets: 40 % apart
    assert left["summary"]["clean_reps"] < right["summary"]["clean_reps"] * 0.9  # the faulty leg: far fewer clean
    assert {"reps per set", "clean reps per set"} <= set(flagged)
    stats = [set_stats(r) for r in load_sets(db)]
    assert flagged == [c.label for c in compare_sides(stats) if c.flagged]
    assert "&#9888; right 40 % below left" in table


def test_analyze_save_then_history_cli(tmp_path, capsys):
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=33)
    csv_path = save_landmarks_csv(series, tmp_path / "right.csv")
    db = tmp_path / "cli.sqlite"
    assert main(["analyze", str(csv_path), "-o", str(tmp_path / "o"), "--quiet", "--athlete", "kim"]) == 2
    assert "add --save" in capsys.readouterr().err
    assert (
        main(
            [
                "analyze",
                str(csv_path),
                "-o",
                str(tmp_path / "o"),
                "--quiet",
                "--save",
                "--athlete",
                "kim",
                "--history",
                str(db),
            ]
        )
        == 0
    )
    assert "saved to" in capsys.readouterr().err
    [rec] = load_sets(db)
    assert (rec.athlete, rec.side, rec.rep_count, rec.time_source) == ("kim", truth.side, truth.n_reps, "file_mtime")
    page = tmp_path / "kim.html"
    assert main(["history", "--athlete", "kim", "--history", str(db), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "kim: sets over time" in out and page.is_file()
    [row] = [line for line in out.splitlines() if re.search(r"\d{4}-\d\d-\d\d\s+right\s", line)]
    assert row.split()[2:4] == [str(truth.n_reps), str(rec.clean_reps)] and "kim" in page.read_text(encoding="utf-8")
    assert main(["history", "--athlete", "nobody", "--history", str(db)]) == 2
    assert "athletes: kim" in capsys.readouterr().err
    assert main(["history", "--history", str(tmp_path / "none.sqlite")]) == 2
    assert "--save first" in capsys.readouterr().err
