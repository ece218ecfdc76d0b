"""The pose model: the bundled .task file (checked by sha256) or one the user passes."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from formcheck.errors import ModelError

BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task"
BUNDLED_SHA256 = "b034e623eea163c21435f1973338abdaddedfee679db0eee5eb1991a8790a24c"
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    sha256: str
    bundled: bool


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(path: str | Path | None = None) -> ModelInfo:
    """Check the model file and return its identity; raise ModelError saying how to fix it."""
    bundled = path is None
    model = BUNDLED_MODEL if bundled else Path(path)
    if not model.is_file():
        if bundled:
            raise ModelError(
                f"the bundled pose model is missing ({model}); reinstall formcheck "
                "or rebuild it with: python tools/build_pose_model.py"
            )
        raise ModelError(f"model file not found: {model}; pass a MediaPipe pose_landmarker .task file to --model")
    digest = file_sha256(model)
    if bundled and digest != BUNDLED_SHA256:
        raise ModelError(
            f"the bundled pose model is corrupt (sha256 {digest[:12]}..., expected "
            f"{BUNDLED_SHA256[:12]}...); reinstall formcheck or run: python tools/build_pose_model.py"
        )
    _check_task_bundle(model)
    return ModelInfo(path=model, sha256=digest, bundled=bundled)


def _check_task_bundle(model: Path) -> None:
    try:
        with zipfile.ZipFile(model) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(
            f"{model} is not a MediaPipe .task bundle ({exc}); pass an official "
            "pose_landmarker_lite/full/heavy.task file to --model"
        ) from None
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        raise ModelError(
            f"{model} is not a pose landmarker model (missing {', '.join(missing)}); pass an "
            "official pose_landmarker_lite/full/heavy.task file to --model"
        )
