"""Build formcheck/models/pose_landmarker_full.task reproducibly.

The current mediapipe wheels carry no pose model and formcheck may not download
one at run time, so we assemble the official MediaPipe Pose (full) model from
the .tflite files inside the mediapipe 0.10.21 wheel (Apache-2.0):

1. ``pip download --no-deps mediapipe==0.10.21`` (cp311 manylinux wheel);
2. in a throwaway venv with that wheel, numpy<2 and protobuf<5, add image-input
   metadata to ``pose_detection.tflite`` (mean/std 127.5) and
   ``pose_landmark_full.tflite`` (mean 0, std 255) with the wheel's own
   ``MetadataWriter`` (the Tasks API refuses float inputs without it);
3. zip both, uncompressed, as ``pose_detector.tflite`` and
   ``pose_landmarks_detector.tflite``, with a fixed timestamp so the bytes are
   the same on every run.

Usage:  python tools/build_pose_model.py [--out formcheck/models/pose_landmarker_full.task]
It prints the sha256 to record in formcheck/io/model.py.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_SPEC = "mediapipe==0.10.21"
DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
ZIP_TIME = (2025, 1, 31, 0, 0, 0)

# Runs inside the throwaway venv: argv = detector_in landmarker_in out_dir
WRITER_SCRIPT = r"""
import sys
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer as mw

def write(src, dst, name, mean, std, n_outputs):
    writer = mw.MetadataWriter.create(bytearray(open(src, "rb").read()))
    writer.add_general_info(name, "MediaPipe Pose model (Apache-2.0), image metadata added by formcheck")
    writer.add_image_input(mean, std)
    for i in range(n_outputs):
        writer.add_feature_output(name=f"output_{i}")
    model, _ = writer.populate()
    open(dst, "wb").write(model)

det, lmk, out = sys.argv[1:4]
write(det, out + "/pose_detector.tflite", "pose_detector", [127.5], [127.5], 2)
write(lmk, out + "/pose_landmarks_detector.tflite", "pose_landmarks_detector", [0.0], [255.0], 5)
"""


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build(out: Path, work: Path) -> str:
    wheel_dir = work / "wheel"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--platform",
            "manylinux_2_28_x86_64",
            "-d",
            str(wheel_dir),
            WHEEL_SPEC,
        ]
    )
    wheel = next(wheel_dir.glob("mediapipe-*.whl"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    run([py, "-m", "pip", "install", "-q", str(wheel), "numpy<2", "protobuf<5"])
    raw = work / "raw"
    raw.mkdir()
    with zipfile.ZipFile(wheel) as zf:
        for member in (DETECTOR, LANDMARKER):
            (raw / Path(member).name).write_bytes(zf.read(member))
    meta = work / "meta"
    meta.mkdir()
    script = work / "write_metadata.py"
    script.write_text(WRITER_SCRIPT)
    run([py, str(script), str(raw / Path(DETECTOR).name), str(raw / Path(LANDMARKER).name), str(meta)])
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, (meta / name).read_bytes())
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "formcheck" / "models" / "pose_landmarker_full.task"
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="formcheck-model-") as tmp:
        digest = build(args.out, Path(tmp))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)\nsha256 {digest}")


if __name__ == "__main__":
    main()
