"""Store the pose model's landmarks of the sample videos as test fixtures (tests/golden/NAME.landmarks.npz).

The live-path tests replay them through `formcheck live` and compare with `analyze` of the same
landmarks, without running the pose model on every sample video in every test run (it costs ~45 ms a
frame). Re-run after changing the sample videos, the model or the extraction settings:

    python3 tools/make_golden_landmarks.py faults_side front_faults step_on_off
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.inputs import extract_video  # noqa: E402 - after the repository root is put on sys.path


def main(names: list[str]) -> None:
    for name in names:
        result = extract_video(ROOT / "sample_videos" / f"{name}.mp4", show_progress=False, use_cache=False)
        s = result.series
        out = ROOT / "tests" / "golden" / f"{name}.landmarks.npz"
        np.savez_compressed(
            out,
            t=s.t,
            frame=s.frame,
            xy=s.xy.astype(np.float32),
            z=s.z.astype(np.float32),
            vis=s.vis.astype(np.float32),
            size=np.array([s.width, s.height]),
        )
        print(f"{out.relative_to(ROOT)}: {len(s)} frames, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1:] or ["faults_side", "front_faults", "step_on_off"])
