"""Command-line options shared by the commands that analyze (analyze, batch, live)."""

from __future__ import annotations

import argparse

from formcheck.core.config import FOOT_CM_RANGE, HEIGHT_CM_RANGE
from formcheck.errors import InputError

MODEL_HELP = "a MediaPipe pose_landmarker .task file instead of the bundled full model"


def add_analysis_options(p: argparse.ArgumentParser, scale: bool = True) -> None:
    """--side, --config, (--height-cm, --foot-cm,) --model."""
    p.add_argument(
        "--side",
        type=str.lower,  # --side LEFT is --side left
        choices=("auto", "left", "right", "both"),
        help="the working foot (default: auto)",
    )
    p.add_argument("--config", help="TOML settings file (see formcheck/default_config.toml)")
    if scale:
        p.add_argument("--height-cm", type=float, help="the person's height, for heel range in cm")
        p.add_argument(
            "--foot-cm",
            type=float,
            help="the working foot's length, heel to toe, for heel range in cm "
            f"({FOOT_CM_RANGE[0]:g}-{FOOT_CM_RANGE[1]:g})",
        )
    p.add_argument("--model", help=MODEL_HELP)


def add_max_fps_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-fps",
        type=float,
        metavar="N",
        help="run the pose model on at most N frames per second of a 60/120/240 fps clip or camera "
        "(frames chosen by their real timestamps; 10 or more: rep phases cannot be timed below 10 fps; "
        "0 = every frame; default 30)",
    )


def add_foot_track_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-foot-track",
        action="store_true",
        help="use MediaPipe's heels and toes as they are, without refining them from the picture",
    )


def max_fps(args: argparse.Namespace) -> float | None:
    """--max-fps as a frame rate cap: None for every frame (0), the default (30) when not given."""
    from formcheck.io.extract import DEFAULT_MAX_FPS

    return DEFAULT_MAX_FPS if args.max_fps is None else (args.max_fps or None)


def add_people_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--people",
        type=int,
        default=1,
        metavar="N",
        help="the pose model looks for N people on every frame (default 1: one person, followed by the "
        "person lock, which never jumps to someone walking by; 2 is the old, slower setting, about "
        "1.5x the time per frame, with unfiltered landmarks)",
    )


def check_people(args: argparse.Namespace) -> None:
    if not 1 <= args.people <= 4:
        raise InputError(
            f"--people must be 1 to 4, got {args.people}: how many people the pose model looks for (1 unless "
            "others are in the picture)"
        )


def check_body_sizes(args: argparse.Namespace) -> None:
    """--height-cm / --foot-cm, when given, must be lengths a person or a foot can have."""
    height = getattr(args, "height_cm", None)
    if height is not None and not HEIGHT_CM_RANGE[0] <= height <= HEIGHT_CM_RANGE[1]:
        raise InputError(
            f"--height-cm must be a length in cm ({HEIGHT_CM_RANGE[0]:g}-{HEIGHT_CM_RANGE[1]:g}), got {height:g}"
        )
    foot = getattr(args, "foot_cm", None)
    if foot is not None and not FOOT_CM_RANGE[0] <= foot <= FOOT_CM_RANGE[1]:
        raise InputError(
            f"--foot-cm must be a foot's length in cm ({FOOT_CM_RANGE[0]:g}-{FOOT_CM_RANGE[1]:g}; adult and child feet "
            f"are about 12-35 cm), got {foot:g}; measure the working foot from heel to toe"
        )
