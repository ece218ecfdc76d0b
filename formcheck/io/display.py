"""The live window (OpenCV's HighGUI): show a frame, read a key. Only the live view opens it."""

from __future__ import annotations

import os
import sys

import numpy as np

from formcheck.errors import InputError

KEYS = {"q": "quit", "\x1b": "quit", "r": "reset", " ": "pause", "s": "side"}


def display_available() -> bool:
    """A window can open: a desktop session (X11/Wayland on Linux; macOS and Windows always)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Window:
    """One resizable window; show() draws a frame and returns the action of a key pressed, if any."""

    name = "formcheck live (q quit, space pause, r reset, s switch side)"

    def __init__(self) -> None:
        if not display_available():
            raise InputError(
                "no screen to open the live window on (DISPLAY is not set); run it on a desktop, "
                "or use --no-window to record without a window"
            )
        import cv2

        self._cv2 = cv2
        try:
            cv2.namedWindow(self.name, cv2.WINDOW_NORMAL)
        except cv2.error as exc:
            raise InputError(
                f"could not open the live window ({str(exc).strip().splitlines()[-1]}); use --no-window"
            ) from None
        self._shown = False

    def show(self, image: np.ndarray, wait_ms: int = 1) -> str | None:
        """Draw the frame; the action of the key pressed meanwhile (quit, reset, pause, side) or None."""
        cv2 = self._cv2
        cv2.imshow(self.name, image)
        key = cv2.waitKey(max(wait_ms, 1)) & 0xFF
        if self._shown and cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1:
            return "quit"  # the window was closed
        self._shown = True
        return KEYS.get(chr(key).lower()) if key != 0xFF else None

    def close(self) -> None:
        try:
            self._cv2.destroyWindow(self.name)
            self._cv2.waitKey(1)
        except self._cv2.error:
            pass
