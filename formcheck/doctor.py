"""`formcheck doctor`: what works on this machine, checked for real (not from version numbers).

- the pose model: the bundled file's sha256, then it is loaded and run on a blank picture;
- OpenCV: its version and whether its FFmpeg video backend is there;
- codecs: tiny clips are written (by OpenCV, and by ffmpeg when one is installed: H.264, HEVC, VP9, AV1)
  and read back frame by frame;
- ffmpeg (imageio-ffmpeg's or the system's): only tests, the renderer and the codec checks above use it;
- cameras: which of #0-#3 give a picture.

Exit 0 when the essentials work (the model, and OpenCV reading video), else 1.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FRAMES, SIZE, FPS = 6, (128, 96), 30.0
FFMPEG_CODECS = (
    ("H.264", ".mp4", ("-c:v", "libx264", "-pix_fmt", "yuv420p")),
    ("HEVC", ".mp4", ("-c:v", "libx265", "-pix_fmt", "yuv420p", "-x265-params", "log-level=none")),
    ("VP9", ".webm", ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")),
    ("AV1", ".mp4", ("-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "200k")),
)
OPENCV_CODECS = (("MPEG-4 (written by OpenCV)", ".mp4", "mp4v"), ("Motion JPEG (written by OpenCV)", ".avi", "MJPG"))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = False


def check_frame(i: int) -> np.ndarray:
    """Frame i of a check clip: its brightness encodes i, so reading back in order can be verified."""
    return np.full((SIZE[1], SIZE[0], 3), 30 + 35 * i, np.uint8)


def read_back(path: Path) -> str | None:
    """None when OpenCV decodes the clip's frames in order, else what went wrong."""
    from formcheck.io.probe import quiet_opencv

    with quiet_opencv():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            return "OpenCV cannot open it"
        levels = []
        while len(levels) <= FRAMES:
            ok, image = cap.read()
            if not ok:
                break
            levels.append(float(image.mean()))
    finally:
        cap.release()
    want = [float(check_frame(i).mean()) for i in range(FRAMES)]
    if len(levels) != FRAMES:
        return f"{len(levels)} of {FRAMES} frames decoded"
    if not np.allclose(levels, want, atol=12):
        return "frames decoded wrong"
    return None


def check_model() -> Check:
    from formcheck.io.model import resolve_model
    from formcheck.io.pose import PoseEstimator

    info = resolve_model()
    with PoseEstimator(info) as estimator:
        pose = estimator.detect(np.zeros((256, 256, 3), np.uint8), 0.0)
    where, match = ("bundled ", " (matches)") if info.bundled else ("", "")
    if pose.found:
        return Check("pose model", False, f"{info.path.name} finds a person in a blank picture", essential=True)
    return Check(
        "pose model",
        True,
        f"{where}{info.path.name}, sha256 {info.sha256[:12]}...{match}, loads and runs",
        essential=True,
    )


def check_opencv() -> Check:
    from cv2 import videoio_registry as reg

    backends = [reg.getBackendName(b) for b in reg.getStreamBackends() if reg.hasBackend(b)]
    ok = reg.hasBackend(cv2.CAP_FFMPEG)
    return Check(
        "OpenCV",
        ok,
        f"{cv2.__version__}, video file backends: {', '.join(backends) or 'none'}"
        + ("" if ok else " (no FFmpeg backend: mp4/mov cannot be read; pip install opencv-contrib-python)"),
        essential=True,
    )


def check_opencv_codec(folder: Path, name: str, suffix: str, fourcc: str) -> Check:
    path = folder / f"opencv_{fourcc}{suffix}"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, SIZE)
    if not writer.isOpened():
        return Check(name, False, "OpenCV cannot write it here (nothing read back)")
    for i in range(FRAMES):
        writer.write(check_frame(i))
    writer.release()
    problem = read_back(path)
    return Check(name, problem is None, problem or "written and read back", essential=fourcc == "mp4v")


def find_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


def check_ffmpeg_codec(ffmpeg: str, folder: Path, name: str, suffix: str, args: tuple[str, ...]) -> Check:
    src, path = folder / "src.avi", folder / f"ffmpeg_{name}{suffix}"
    if not src.exists():
        writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
        for i in range(FRAMES):
            writer.write(check_frame(i))
        writer.release()
    proc = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), *args, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode or not path.exists():
        return Check(f"{name} decoding", False, "not checked: this ffmpeg cannot encode it")
    problem = read_back(path)
    return Check(
        f"{name} decoding",
        problem is None,
        f"{problem}: re-encode such clips to H.264" if problem else "OpenCV decodes it",
    )


def check_cameras() -> Check:
    from formcheck.io.probe import CAMERA_INDICES, list_cameras

    found = list_cameras()
    if found:
        return Check("cameras", True, "working: " + ", ".join(f"#{i}" for i in found))
    return Check(
        "cameras", False, f"none found (tried #{CAMERA_INDICES[0]}-#{CAMERA_INDICES[-1]}); only live mode needs one"
    )


def safely(name: str, essential: bool, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """A check that raises becomes a failed line, never a traceback."""
    try:
        result = check()
    except Exception as exc:
        return [Check(name, False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", essential)]
    return result if isinstance(result, list) else [result]


def run_checks() -> list[Check]:
    checks = safely("pose model", True, check_model) + safely("OpenCV", True, check_opencv)
    ffmpeg = find_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="formcheck-doctor-") as tmp:
        folder = Path(tmp)
        for name, suffix, fourcc in OPENCV_CODECS:
            checks += safely(
                name,
                fourcc == "mp4v",
                lambda name=name, suffix=suffix, fourcc=fourcc: check_opencv_codec(folder, name, suffix, fourcc),
            )
        checks.append(
            Check(
                "ffmpeg",
                ffmpeg is not None,
                ffmpeg
                or "not found: only the tests, the renderer and "
                "the codec checks below need it (pip install imageio-ffmpeg)",
            )
        )
        for name, suffix, args in FFMPEG_CODECS if ffmpeg else ():
            checks += safely(
                f"{name} decoding",
                False,
                lambda name=name, suffix=suffix, args=args: check_ffmpeg_codec(ffmpeg, folder, name, suffix, args),
            )
    return checks + safely("cameras", False, check_cameras)


def format_check(c: Check) -> str:
    mark = "ok" if c.ok else ("FAIL" if c.essential else "--")
    return f"{mark:4s}  {c.name}: {c.detail}"


def run_doctor(echo: Callable[[str], None] = print) -> int:
    checks = run_checks()
    for c in checks:
        echo(format_check(c))
    broken = [c.name for c in checks if c.essential and not c.ok]
    echo(f"essentials broken: {', '.join(broken)}" if broken else "the essentials work")
    return 1 if broken else 0
