"""Pure analysis on numpy arrays: no cv2, no mediapipe, no files, no clock."""

from formcheck.core.landmarks import INDEX, LANDMARK_NAMES, LandmarkSeries

__all__ = ["INDEX", "LANDMARK_NAMES", "LandmarkSeries"]
