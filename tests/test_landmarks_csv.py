"""The landmarks CSV: exact round trip, documented header, clear errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.core.landmarks import LANDMARK_NAMES, REFINED_POINTS, LandmarkSeries
from formcheck.errors import InputError
from formcheck.io.landmarks_csv import (
    REQUIRED_COLUMNS,
    format_csv,
    load_landmarks_csv,
    parse_landmarks_csv,
    save_landmarks_csv,
)


def random_series(n: int = 50, seed: int = 0, extras: bool = True) -> LandmarkSeries:
    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(0, 1000, (n, 33, 2)), 3)
    z = np.round(rng.normal(0, 200, (n, 33)), 3)
    vis = np.round(rng.uniform(0, 1, (n, 33)), 4)
    gaps = np.zeros(n, bool)
    gaps[[i for i in (3, 4, 5, 20) if i < n]] = True
    for arr in (xy, z, vis):
        arr[gaps] = np.nan
    t = np.cumsum(rng.uniform(0.01, 0.05, n))
    world = np.round(rng.normal(0, 0.5, (n, 33, 3)), 5) if extras else None
    presence = np.round(rng.uniform(0, 1, (n, 33)), 4) if extras else None
    if extras:
        world[gaps] = np.nan
        presence[gaps] = np.nan
    return LandmarkSeries(
        t=t, xy=xy, z=z, vis=vis, width=1080, height=1920, frame=np.arange(n) + 7, presence=presence, world=world
    )


def assert_same(a: LandmarkSeries, b: LandmarkSeries) -> None:
    for name in ("t", "xy", "z", "vis", "frame", "presence", "world"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.width, a.height) == (b.width, b.height)


@pytest.mark.parametrize("extras", [True, False])
def test_round_trip_is_exact_with_nan_gaps(tmp_path, extras):
    series = random_series(extras=extras)
    path = save_landmarks_csv(series, tmp_path / "sub" / "lm.csv")
    back = load_landmarks_csv(path)
    assert_same(series, back)
    assert np.isnan(back.xy[4]).all() and not back.found[4] and back.found[6]


def test_header_is_the_documented_one():
    text = format_csv(random_series(8, extras=False))
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["frame", "t", "width", "height"]
    assert header[4:8] == ["nose_x", "nose_y", "nose_z", "nose_vis"]
    assert header[-4:] == ["right_foot_index_x", "right_foot_index_y", "right_foot_index_z", "right_foot_index_vis"]
    assert len(header) == 4 + 4 * len(LANDMARK_NAMES) == len(REQUIRED_COLUMNS)
    row4 = text.splitlines()[4 + 1].split(",")  # frame 4 is a gap: empty pose cells
    assert row4[0] == "11" and row4[2:4] == ["1080", "1920"] and set(row4[4:]) == {""}


def test_refined_feet_round_trip_in_their_own_columns_empty_where_not_tracked(tmp_path):
    base = random_series(12)
    refined = np.round(np.random.default_rng(5).uniform(0, 900, (12, len(REFINED_POINTS), 2)), 3)
    refined[2:6, 1] = np.nan  # the right heel not tracked for a while
    series = replace(base, refined=refined)
    text = format_csv(series)
    header = text.splitlines()[0].split(",")
    assert header[-8:] == [
        "left_heel_fx",
        "left_heel_fy",
        "right_heel_fx",
        "right_heel_fy",
        "left_foot_index_fx",
        "left_foot_index_fy",
        "right_foot_index_fx",
        "right_foot_index_fy",
    ]
    assert text.splitlines()[3].split(",")[-6:-4] == ["", ""]
    back = load_landmarks_csv(save_landmarks_csv(series, tmp_path / "lm.csv"))
    assert_same(series, back)
    np.testing.assert_array_equal(back.refined, refined)
    assert random_series(3).refined is None and parse_landmarks_csv(format_csv(random_series(3))).refined is None


def test_a_reader_that_knows_only_the_required_columns_still_reads_a_refined_csv():
    series = replace(random_series(6, extras=False), refined=np.ones((6, len(REFINED_POINTS), 2)))
    lines = format_csv(series).splitlines()
    cols = lines[0].split(",")
    keep = [cols.index(c) for c in REQUIRED_COLUMNS]
    plain = "\n".join(",".join(row.split(",")[k] for k in keep) for row in lines)
    np.testing.assert_array_equal(parse_landmarks_csv(plain).xy, parse_landmarks_csv("\n".join(lines)).xy)


def test_extra_columns_are_ignored():
    text = format_csv(random_series(5, extras=False)).splitlines()
    text = [text[0] + ",note"] + [row + ",hello" for row in text[1:]]
    back = parse_landmarks_csv("\n".join(text))
    assert len(back) == 5


def test_missing_column_is_named():
    text = format_csv(random_series(5, extras=False)).replace("left_heel_y", "left_heel_q")
    with pytest.raises(InputError, match="column 'left_heel_y' missing"):
        parse_landmarks_csv(text)


def test_bad_cell_names_row_and_column():
    lines = format_csv(random_series(5, extras=False)).splitlines()
    cells = lines[3].split(",")
    cells[9] = "abc"
    lines[3] = ",".join(cells)
    with pytest.raises(InputError, match="row 4 column 10 is not a number"):
        parse_landmarks_csv("\n".join(lines))


def test_unsorted_or_duplicate_timestamps_are_refused():
    lines = format_csv(random_series(5, extras=False)).splitlines()
    lines[2], lines[3] = lines[3], lines[2]
    with pytest.raises(InputError, match="strictly increasing"):
        parse_landmarks_csv("\n".join(lines))


@pytest.mark.parametrize("text, message", [("", "empty"), (",".join(REQUIRED_COLUMNS), "no rows")])
def test_empty_files(text, message):
    with pytest.raises(InputError, match=message):
        parse_landmarks_csv(text)


def test_short_row_is_named():
    lines = format_csv(random_series(5, extras=False)).splitlines()
    lines[2] = lines[2].rsplit(",", 3)[0]
    with pytest.raises(InputError, match="row 3 has"):
        parse_landmarks_csv("\n".join(lines))


def edited(source: LandmarkSeries | str, row: int, column: str, value: str) -> str:
    """The CSV text with one cell replaced (row k is the file's row k + 1: the header is row 1)."""
    lines = (source if isinstance(source, str) else format_csv(source)).splitlines()
    col = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines)


def test_duplicate_timestamps_are_refused():
    series = random_series(6, extras=False)
    text = edited(series, 4, "t", repr(float(series.t[2])))  # the file's row 5 repeats row 4's time
    with pytest.raises(
        InputError,
        match=r"row 5: timestamps must be strictly increasing \(sort by t and drop "
        r"duplicate rows\)",
    ):
        parse_landmarks_csv(text)


@pytest.mark.parametrize("value", ["", "nan", "inf"])
def test_a_row_without_a_usable_time_is_named(value):
    with pytest.raises(
        InputError,
        match=r"landmarks CSV row 3 has no usable timestamp t \((nan|inf)\); every row "
        r"needs t in seconds",
    ):
        parse_landmarks_csv(edited(random_series(6, extras=False), 2, "t", value))


def test_nan_landmark_cells_are_gaps_not_errors():
    series = random_series(6, extras=False)
    text = edited(edited(series, 2, "left_heel_x", "nan"), 3, "nose_vis", "NaN")
    back = parse_landmarks_csv(text)
    assert np.isnan(back.xy[1, 29, 0]) and not np.isnan(back.xy[1, 29, 1]) and np.isnan(back.vis[2, 0])


def test_semicolon_separated_files_say_so():
    text = format_csv(random_series(3, extras=False)).replace(",", ";")
    with pytest.raises(InputError, match="uses ';' between cells"):
        parse_landmarks_csv(text)


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + format_csv(random_series(4, extras=False)).encode())
    assert len(load_landmarks_csv(path)) == 4


def test_bad_csv_on_the_command_line_is_one_line_exit_2(tmp_path, capsys):
    from formcheck.cli import main

    path = tmp_path / "hand_edited.csv"
    path.write_text(edited(random_series(6, extras=False), 3, "right_knee_y", "12,5".replace(",", ";")))
    assert main(["analyze", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"formcheck: error: hand_edited.csv row 4 column {REQUIRED_COLUMNS.index('right_knee_y') + 1} "
        "is not a number ('12;5')"
    ]
    assert not (tmp_path / "out").exists()
