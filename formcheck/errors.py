"""One error hierarchy. Every message is one line that says what is wrong and how to fix it."""

from __future__ import annotations


class FormcheckError(Exception):
    """Base of every error formcheck raises on purpose. exit_code is the CLI's."""

    exit_code = 1


class InputError(FormcheckError, ValueError):
    """The input (video, CSV, option) is unusable as given."""

    exit_code = 2


class NothingToAnalyzeError(FormcheckError):
    """The input was read but holds nothing analyzable (no person, body not in frame)."""

    exit_code = 3


class ModelError(FormcheckError):
    """The pose model is missing, corrupt or cannot be loaded."""

    exit_code = 4


class CameraError(FormcheckError):
    """The camera is missing or busy."""

    exit_code = 5


class OutputError(FormcheckError):
    """An output could not be written (folder not writable, disk full)."""

    exit_code = 6


class Interrupted(FormcheckError):
    """The user pressed Ctrl-C; partial results were saved."""

    exit_code = 130


class ClipsFailed(FormcheckError):
    """`formcheck batch`: one or more clips failed; the others' outputs and the batch summary were written."""

    exit_code = 7
