"""The first or last frame of a stored video, as a PNG Veo accepts, and reading it back.

Continuity (workflows/decisions/continuity.py) joins a clip to its neighbours' current
videos: their exact end frames are extracted here with imageio-ffmpeg's ffmpeg and kept
in the video store under a key naming the clip, version and end, so the workflow carries
a reference (FrameRef) and the submit reads the bytes, checked against the hash the plan
recorded. PNG: lossless, and one of Veo's two image types ([INST] Image.mimeType).
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path
from uuid import UUID

import imageio_ffmpeg

from activities.errors import non_retryable
from workflows.continuity_models import FrameEnd, FrameRef
from workflows.error_types import INVALID_INPUT

FRAME_TIMEOUT_SECONDS = 60
MAX_FRAME_BYTES = 20 * 1024 * 1024  # what the strict emulator refuses above (README frames.size)


class FrameError(RuntimeError):
    """ffmpeg could not read a frame from the video."""


def extract_frame(video: Path, end: FrameEnd) -> bytes:
    """The exact first or last frame of the video at `video`, as PNG bytes.

    The last frame: decode the final second (`-sseof -1`) and keep overwriting one image
    (`-update 1`), so what remains is the last decoded frame, not a keyframe near it.
    """
    with tempfile.TemporaryDirectory(prefix="retake-frame-") as tmp:
        out = Path(tmp) / "frame.png"
        seek = ["-sseof", "-1"] if end == "last" else []
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *seek,
                   "-i", str(video), "-map", "0:v:0", "-an", "-threads", "1"]
        command += ["-update", "1", "-c:v", "png", str(out)] if end == "last" else [
            "-frames:v", "1", "-c:v", "png", str(out)]
        try:
            subprocess.run(command, check=True, capture_output=True,
                           timeout=FRAME_TIMEOUT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            stderr = getattr(exc, "stderr", b"") or b""
            raise FrameError(f"ffmpeg could not take the {end} frame of the video: "
                             f"{stderr.decode(errors='replace')[-300:]}") from None
        if not out.is_file():
            raise FrameError(f"ffmpeg wrote no {end} frame: the video has no frames.")
        data = out.read_bytes()
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"The {end} frame is {len(data)} bytes as PNG, above Veo's "
                         f"{MAX_FRAME_BYTES} bytes: store smaller videos.")
    return data


def frame_key(job_id: UUID, clip_index: int, version: int, end: FrameEnd) -> str:
    """Where a frame is kept in the video store: one name per clip, version and end."""
    return f"frames/jobs/{job_id}/clips/{int(clip_index)}/v{int(version)}-{end}.png"


def frame_ref(job_id: UUID, clip_index: int, version: int, end: FrameEnd, data: bytes) -> FrameRef:
    return FrameRef(clip_index=clip_index, version=version, end=end,
                    sha256=hashlib.sha256(data).hexdigest(), mime_type="image/png",
                    name=frame_key(job_id, clip_index, version, end), size_bytes=len(data))


class FrameReader:
    """Reads a stored frame by its reference and checks it is the one the plan chose."""

    def __init__(self, root_dir: Path) -> None:
        self.root_dir = Path(root_dir).resolve()

    def read(self, ref: FrameRef) -> bytes:
        path = (self.root_dir / ref.name).resolve()
        if not path.is_relative_to(self.root_dir):
            raise non_retryable(f"Frame name {ref.name!r} leaves the store's folder.",
                                INVALID_INPUT)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise non_retryable(
                f"The {ref.end} frame of clip {ref.clip_index} v{ref.version} is not in the "
                "store any more: plan the regeneration again.", INVALID_INPUT) from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise non_retryable(
                f"The stored {ref.end} frame of clip {ref.clip_index} v{ref.version} is not the "
                "one the plan chose (hash differs): plan the regeneration again.", INVALID_INPUT)
        return data
