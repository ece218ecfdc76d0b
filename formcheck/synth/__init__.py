"""Synthetic calf-raise sets with exact ground truth (pure numpy; no cv2/mediapipe).

script -> motion (3D skeleton, metres) -> camera -> MediaPipe-like landmark series + truth.
"""

from formcheck.synth.camera import VIEWS, Camera, make_camera
from formcheck.synth.grades import GRADE_NAMES, GRADES, PRIMARY, FaultSize, custom_size, draw_clean_tempo, grade_size
from formcheck.synth.landmarks import MEDIAPIPE_LIKE, Corruption, make_series
from formcheck.synth.motion import POINT_NAMES, Body, Skeleton, compute_skeleton, knee_flexion_deg, scaled_body
from formcheck.synth.presets import PRESETS, load_script
from formcheck.synth.script import FAULT_IDS, RepScript, SetScript, effective_rep
from formcheck.synth.truth import RepTruth, Truth, compute_truth, load_truth, save_truth

__all__ = [
    "VIEWS",
    "Camera",
    "make_camera",
    "MEDIAPIPE_LIKE",
    "Corruption",
    "make_series",
    "POINT_NAMES",
    "Body",
    "Skeleton",
    "compute_skeleton",
    "knee_flexion_deg",
    "PRESETS",
    "FAULT_IDS",
    "RepScript",
    "SetScript",
    "effective_rep",
    "load_script",
    "RepTruth",
    "Truth",
    "compute_truth",
    "load_truth",
    "save_truth",
    "preset",
    "GRADE_NAMES",
    "GRADES",
    "PRIMARY",
    "FaultSize",
    "custom_size",
    "draw_clean_tempo",
    "grade_size",
    "scaled_body",
]


def preset(name: str) -> SetScript:
    """A named set script (see PRESETS)."""
    return load_script(name)
