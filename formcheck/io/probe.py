"""Why a file is not a usable video, in one line that says how to fix it.

OpenCV only says "cannot open".  This module looks at the file itself: its first bytes (an image, an
audio file, text) and, for MP4/MOV (what phones record), its box tree: a missing index (a cut-off copy
or an unfinished recording), no video track (audio only), or the video codec's name.  It reads at most
a few megabytes and never decodes anything.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from formcheck.io.mp4box import box_header

STILL_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
AUDIO = (
    (b"ID3", "MP3"),
    (b"fLaC", "FLAC"),
    (b"#!AMR", "AMR"),
    (b"\xff\xfb", "MP3"),
    (b"\xff\xf3", "MP3"),
    (b"\xff\xf1", "AAC"),
    (b"\xff\xf9", "AAC"),
)
IMAGE_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF"}
AUDIO_BRANDS = {b"M4A ": "M4A", b"M4B ": "M4A", b"F4A ": "M4A"}
MOTION_JPEG_SUFFIXES = {".mjpeg", ".mjpg"}
CODEC_NAMES = {
    "avc1": "H.264",
    "avc3": "H.264",
    "hvc1": "HEVC",
    "hev1": "HEVC",
    "dvh1": "Dolby Vision",
    "dvhe": "Dolby Vision",
    "av01": "AV1",
    "vp08": "VP8",
    "vp09": "VP9",
    "mp4v": "MPEG-4",
    "apch": "ProRes",
    "apcn": "ProRes",
    "apcs": "ProRes",
    "apco": "ProRes",
    "ap4h": "ProRes",
    "rle ": "QuickTime Animation",
    "SVQ1": "Sorenson Video",
    "SVQ3": "Sorenson Video 3",
    "jpeg": "Motion JPEG",
    "mjpa": "Motion JPEG",
    "apv1": "APV",
    "vvc1": "H.266/VVC",
    # the fourccs OpenCV reports
    "h264": "H.264",
    "hevc": "HEVC",
    "AV01": "AV1",
    "VP80": "VP8",
    "VP90": "VP9",
    "FMP4": "MPEG-4",
    "MJPG": "Motion JPEG",
}
CONTAINERS = ((b"\x1a\x45\xdf\xa3", "Matroska/WebM"), (b"RIFF", "RIFF/AVI"), (b"OggS", "Ogg"))
TS_PACKET = 188
TS_VIDEO_TYPES = {
    0x01: "MPEG-1",
    0x02: "MPEG-2",
    0x10: "MPEG-4",
    0x1B: "H.264",
    0x24: "HEVC",
    0x33: "H.266/VVC",
    0x42: "AVS",
    0xD2: "AVS2",
    0xD4: "AVS3",
    0xEA: "VC-1",
}
ISO_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"uuid", b"pdin", b"moof", b"mfra", b"meta"}
MAX_MOOV = 64 << 20
SNIFF = 4096
CAMERA_INDICES = range(4)  # probed when a camera fails (and by `formcheck doctor`)


@dataclass
class Mp4Info:
    """What the box tree of an MP4/MOV file says."""

    top: list[str] = field(default_factory=list)
    cut_in: str | None = None  # the top-level box the file ends inside (truncated copy)
    broken_at: int | None = None  # byte offset where the box structure stops making sense
    has_moov: bool = False
    handlers: list[str] = field(default_factory=list)  # 'vide', 'soun', ... one per track
    video_codec: str | None = None  # sample entry fourcc of the first video track


def head(path: Path, n: int = SNIFF) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def still_image_kind(path: Path, data: bytes | None = None) -> str | None:
    """'PNG', 'JPEG', ... when the file is a still picture (OpenCV would read it as a one-frame video)."""
    data = head(path, 64) if data is None else data
    if path.suffix.lower() in MOTION_JPEG_SUFFIXES:
        return None
    for magic, kind in STILL_IMAGES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":
        return IMAGE_BRANDS.get(data[8:12])
    return None


def audio_kind(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "WAV"
    if data[:4] == b"OggS" and any(tag in data[:80] for tag in (b"\x01vorbis", b"OpusHead", b"\x7fFLAC")):
        return "Ogg"
    if data[4:8] == b"ftyp" and data[8:12] in AUDIO_BRANDS:
        return AUDIO_BRANDS[data[8:12]]
    return next((kind for magic, kind in AUDIO if data.startswith(magic)), None)


def looks_like_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    text = data.decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def is_iso_media(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] in ISO_TOP


def codec_name(fourcc: str | None) -> str:
    if not fourcc:
        return "unknown codec"
    name = CODEC_NAMES.get(fourcc)
    return f"{name} ({fourcc.strip()})" if name else f"'{fourcc.strip()}'"


def _children(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, list[tuple[int, int]]]:
    """Child boxes of an in-memory box payload: type -> [(payload start, end)]."""
    end = len(data) if end is None else end
    out: dict[bytes, list[tuple[int, int]]] = {}
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size < 8 or pos + size > end:
            break
        out.setdefault(kind, []).append((pos + 8, pos + size))
        pos += size
    return out


def _find(moov: bytes, box: tuple[int, int], names: tuple[bytes, ...]) -> tuple[int, int] | None:
    for name in names:
        found = _children(moov, *box).get(name)
        if not found:
            return None
        box = found[0]
    return box


def _track(moov: bytes, start: int, end: int) -> tuple[str | None, str | None]:
    """(handler type, first sample entry fourcc) of one trak box."""
    mdia = _find(moov, (start, end), (b"mdia",))
    if mdia is None:
        return None, None
    hdlr = _find(moov, mdia, (b"hdlr",))
    stsd = _find(moov, mdia, (b"minf", b"stbl", b"stsd"))
    handler = moov[hdlr[0] + 8 : hdlr[0] + 12].decode("latin-1") if hdlr and hdlr[1] - hdlr[0] >= 12 else None
    codec = moov[stsd[0] + 12 : stsd[0] + 16].decode("latin-1") if stsd and stsd[1] - stsd[0] >= 16 else None
    return handler, codec


def mp4_info(path: Path) -> Mp4Info:
    """Walk the top-level boxes (and the moov box) of an MP4/MOV file."""
    info = Mp4Info()
    size = path.stat().st_size
    with open(path, "rb") as fh:
        pos = 0
        while (box := box_header(fh, pos, size)) is not None:
            kind, start, end = box
            if not (kind.isascii() and kind.decode("latin-1").isprintable()):
                info.broken_at = pos
                break
            info.top.append(kind.decode("latin-1"))
            if end > size:
                info.cut_in = kind.decode("latin-1")
                break
            if kind == b"moov" and end - start <= MAX_MOOV:
                info.has_moov = True
                fh.seek(start)
                moov = fh.read(end - start)
                for a, b in _children(moov).get(b"trak", []):
                    handler, codec = _track(moov, a, b)
                    info.handlers.append(handler or "?")
                    if handler == "vide" and info.video_codec is None:
                        info.video_codec = codec
            pos = end
    return info


def explain_mp4(path: Path) -> str | None:
    info = mp4_info(path)
    name = path.name
    if not info.has_moov and info.broken_at is not None:
        return (
            f"{name} is damaged (its MP4 structure breaks at byte {info.broken_at}); copy it from the phone "
            "again, or if it was damaged in recording try a repair tool such as untrunc"
        )
    if not info.has_moov:
        if info.cut_in:
            return (
                f"{name} is cut off: it ends inside its '{info.cut_in}' data and the index (moov box) is missing; "
                "copy it from the phone again, or if the recording was interrupted try a repair tool such as untrunc"
            )
        return (
            f"{name} has no index (moov box): the recording was not finished; record again, or try a repair "
            "tool such as untrunc"
        )
    if "vide" not in info.handlers:
        tracks = ", ".join({"soun": "audio"}.get(h, h) for h in info.handlers) or "none"
        return f"{name} has no video track (tracks: {tracks}); pass the video of the set, not an audio recording"
    return (
        f"the video in {name} ({codec_name(info.video_codec)}) cannot be decoded here: the file is damaged or this "
        f"OpenCV build lacks the codec; re-encode it: {reencode_command(path)}"
    )


def reencode_command(path: Path) -> str:
    return f"ffmpeg -i {path.name} -c:v libx264 -pix_fmt yuv420p {path.stem}_h264.mp4"


def explain_unreadable(path: str | Path) -> str:
    """One line: what the file is and how to get a video formcheck can read (OpenCV could not open it)."""
    path = Path(path)
    try:
        data = head(path)
        if is_iso_media(data) and audio_kind(data) is None:
            message = explain_mp4(path)
            if message:
                return message
    except OSError as exc:
        return f"cannot read {path.name} ({exc.strerror or exc}); check the file's permissions"
    kind = audio_kind(data)
    if kind:
        return f"{path.name} is an audio file ({kind}), not a video; pass the video of the set"
    if looks_like_text(data):
        return f"{path.name} is a text file, not a video; pass the video file of the set"
    container = next((name for magic, name in CONTAINERS if data.startswith(magic)), None)
    if is_mpeg_ts(data):
        codec = ts_video_codec(head(path, 512 * TS_PACKET))
        container = "MPEG-TS" + (f", {codec} video" if codec else "")
    if container:
        return (
            f"{path.name} ({container}) cannot be opened: it is damaged or uses a codec this OpenCV build "
            f"lacks; check that it plays, or re-encode it: {reencode_command(path)}"
        )
    return (
        f"cannot open {path.name} as a video: not a format this OpenCV build reads (it reads mp4, mov, avi, mkv, "
        f"webm); check that it plays, or re-encode it: {reencode_command(path)}"
    )


def is_mpeg_ts(data: bytes) -> bool:
    return len(data) > 2 * TS_PACKET and data[0] == data[TS_PACKET] == data[2 * TS_PACKET] == 0x47


def _ts_section(pkt: bytes) -> bytes | None:
    """The PSI section starting in a transport packet (payload unit start), else None."""
    if len(pkt) < TS_PACKET or not pkt[1] & 0x40:
        return None
    off = 5 + pkt[4] if pkt[3] & 0x20 else 4
    if off >= TS_PACKET:
        return None
    off += 1 + pkt[off]  # pointer field
    return pkt[off:]


def ts_video_codec(data: bytes) -> str | None:
    """The video codec an MPEG-TS stream declares in its program map (PAT -> PMT -> stream types)."""
    packets = [data[i : i + TS_PACKET] for i in range(0, len(data) - TS_PACKET + 1, TS_PACKET) if data[i] == 0x47]
    pid = lambda p: ((p[1] & 0x1F) << 8) | p[2]
    pat = next((s for p in packets if pid(p) == 0 and (s := _ts_section(p)) and s[0] == 0x00), None)
    if pat is None or len(pat) < 12:
        return None
    pmt_pid = ((pat[10] & 0x1F) << 8) | pat[11]
    pmt = next((s for p in packets if pid(p) == pmt_pid and (s := _ts_section(p)) and s[0] == 0x02), None)
    if pmt is None or len(pmt) < 12:
        return None
    end = min(3 + (((pmt[1] & 0x0F) << 8) | pmt[2]) - 4, len(pmt))
    pos = 12 + (((pmt[10] & 0x0F) << 8) | pmt[11])
    while pos + 5 <= end:
        kind = pmt[pos]
        if kind in TS_VIDEO_TYPES:
            return TS_VIDEO_TYPES[kind]
        pos += 5 + (((pmt[pos + 3] & 0x0F) << 8) | pmt[pos + 4])
    return None


def check_not_still_image(path: str | Path) -> str | None:
    """The InputError message for a still picture (OpenCV opens those as one-frame videos), else None."""
    path = Path(path)
    try:
        kind = still_image_kind(path)
    except OSError:
        return None
    if kind is None:
        return None
    return f"{path.name} is a picture ({kind}), not a video; film the whole set as a video"


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log lines (a missing camera makes it print several) for the block."""
    logging = cv2.utils.logging
    before = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(before)


def camera_state(index: int) -> str:
    """'ok' (opens and gives a frame), 'busy' (opens but gives no frame) or 'missing'."""
    with quiet_opencv():
        cap = cv2.VideoCapture(index)
        try:
            if not cap.isOpened():
                return "missing"
            ok, image = cap.read()
            return "ok" if ok and image is not None else "busy"
        finally:
            cap.release()


def list_cameras(indices: Iterable[int] = CAMERA_INDICES) -> list[int]:
    """Indices of the cameras that give a picture right now."""
    return [i for i in indices if camera_state(i) == "ok"]


def camera_error(index: int, state: str) -> str:
    """One line for a camera that failed: what happened to it and which cameras do work."""
    what = (
        f"camera #{index} opened but gives no picture (busy in another program, or switched off)"
        if state == "busy"
        else f"camera #{index} was not found"
    )
    working = [i for i in list_cameras() if i != index]
    if working:
        return f"{what}; working cameras: {', '.join(f'#{i}' for i in working)}: pass --camera {working[0]}"
    tried = f"#{CAMERA_INDICES[0]}-#{CAMERA_INDICES[-1]}"
    return (
        f"{what}, and no working camera was found (tried {tried}); connect one and close other programs that "
        "use it, or analyze a video file instead"
    )
