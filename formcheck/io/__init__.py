"""The edges: video and camera sources, the pose model, landmark CSV and report files.

Nothing here is imported by formcheck.core.  mediapipe is imported only by
formcheck.io.pose, and only when a PoseEstimator is created.
"""
from formcheck.io.landmarks_csv import load_landmarks_csv, save_landmarks_csv
from formcheck.io.video import CameraSource, Frame, VideoFileSource, VideoInfo, open_source

__all__ = ["CameraSource", "Frame", "VideoFileSource", "VideoInfo", "load_landmarks_csv",
           "open_source", "save_landmarks_csv"]
