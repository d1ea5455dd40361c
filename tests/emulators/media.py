"""Real media the emulators serve: MP4s with video and audio, and a small PNG.

Veo 3.1 returns MP4 with generated audio ([M31] "Sound generation: Supported"), of
`durationSeconds` length. The emulator renders one file per (duration, aspect ratio)
with imageio-ffmpeg's ffmpeg (lavfi testsrc + sine), small and at a low frame rate,
cached for the process, so a test can measure length and audio from the file.
"""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from pathlib import Path

FPS = 8
SIZES = {"16:9": (64, 36), "9:16": (36, 64)}


@functools.lru_cache(maxsize=16)
def video_mp4(duration_seconds: int = 8, aspect_ratio: str = "16:9", audio: bool = True) -> bytes:
    import imageio_ffmpeg

    width, height = SIZES.get(aspect_ratio, SIZES["16:9"])
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "veo.mp4"
        cmd = [ffmpeg, "-v", "error", "-nostdin", "-f", "lavfi", "-i",
               f"testsrc=size={width}x{height}:rate={FPS}:duration={duration_seconds}"]
        if audio:
            cmd += ["-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=16000:duration={duration_seconds}"]
        cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast",
                "-bitexact", "-map_metadata", "-1"]
        if audio:
            cmd += ["-c:a", "aac", "-b:a", "24k"]
        cmd += ["-t", str(duration_seconds), "-movflags", "+faststart", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        return out.read_bytes()


def probe(data: bytes) -> dict[str, object]:
    """Duration (seconds) and streams of an MP4, read with ffmpeg (for tests)."""
    import re

    import imageio_ffmpeg

    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", f.name],
                             capture_output=True, text=True, timeout=60)
    text = run.stderr
    match = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", text)
    duration = (int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])) if match else None
    return {"duration": duration, "video": "Video:" in text, "audio": "Audio:" in text}


@functools.lru_cache(maxsize=1)
def tiny_mp4() -> bytes:
    """A real, playable 2-frame 16x16 MP4 without audio (the emulator's old payload)."""
    import imageio.v2 as imageio
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiny.mp4"
        with imageio.get_writer(path, fps=2, codec="libx264", ffmpeg_log_level="error",
                                output_params=["-bitexact"]) as writer:
            for shade in (40, 200):
                writer.append_data(np.full((16, 16, 3), shade, dtype=np.uint8))
        return path.read_bytes()


@functools.lru_cache(maxsize=4)
def tiny_image(fmt: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 90)).save(buffer, format=fmt)
    return buffer.getvalue()
