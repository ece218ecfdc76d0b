"""A multipart upload streamed to disk chunk by chunk: never held whole in memory, stopped at a size limit.

Starlette's own `request.form()` spools files too, but only checks the size after the whole body has been
read; here the body is fed to python-multipart's streaming parser as it arrives, the `video` part goes
straight into a file that formcheck names (the sender's file name is kept for display only, never used as a
path), and the upload stops the moment it passes the limit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELD = "video"
MAX_FIELD_BYTES = 1000  # side, athlete, save: short text
MAX_DISPLAY_NAME = 120
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp")


class UploadError(Exception):
    """A refused upload: `status` is the HTTP status, the message says how to fix it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """What was received: the text fields, the sender's file name (display only) and the bytes written."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    size: int = 0


def display_name(raw: str | None) -> str:
    """The sender's file name as something safe to show: its last path component, printable, short."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:MAX_DISPLAY_NAME] or "video"


def upload_suffix(name: str) -> str:
    """The stored file's suffix: the sender's when it is a known video suffix, else none (ffmpeg reads the bytes)."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in VIDEO_SUFFIXES else ""


def too_large_message(limit: int) -> str:
    return (
        f"the video is larger than this server's limit of {limit >> 20} MB; trim the clip to the set itself, "
        "or restart formcheck serve with a larger --max-upload-mb"
    )


class _Receiver:
    """python-multipart callbacks: text fields into memory (capped), the video part into `sink`."""

    def __init__(self, sink: BinaryIO, limit: int) -> None:
        self.sink, self.limit = sink, limit
        self.upload = Upload()
        self._headers: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()
        self.files = 0

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _part_begin(self) -> None:
        self._headers, self._name, self._is_file, self._value = {}, None, False, bytearray()

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = self._header_value.decode("utf-8", "replace")
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            self.files += 1
            if self.files > 1:
                raise UploadError(400, "send one video per request (the form had several 'video' parts)")
            self.upload.filename = display_name(params.get(b"filename", b"").decode("utf-8", "replace"))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        if self._is_file:
            self.upload.size += n
            if self.upload.size > self.limit:
                raise UploadError(413, too_large_message(self.limit))
            self.sink.write(data[start:end])
        else:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise UploadError(400, f"the form field {self._name!r} is too long (at most {MAX_FIELD_BYTES} bytes)")

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            self.upload.fields[self._name] = self._value.decode("utf-8", "replace").strip()


async def receive_upload(content_type: str, chunks: AsyncIterator[bytes], sink: BinaryIO, limit: int) -> Upload:
    """Parse a multipart/form-data body from `chunks`, writing the `video` part to `sink` as it arrives.

    Raises UploadError (400: not a form or no video; 413: over `limit` bytes) as soon as it knows."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadError(400, "send the video as multipart/form-data with the file in a field named 'video'")
    receiver = _Receiver(sink, limit)
    parser = MultipartParser(boundary, receiver.callbacks())
    async for chunk in chunks:
        if chunk:
            parser.write(chunk)
    parser.finalize()
    if receiver.files == 0:
        raise UploadError(400, "no video in the form: put the file in a field named 'video'")
    if receiver.upload.size == 0:
        raise UploadError(400, "the video is empty (0 bytes); record or choose the video again")
    return receiver.upload
