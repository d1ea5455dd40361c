"""Cut a generated MP4 to the clip's length: ffmpeg from imageio-ffmpeg, audio kept.

Veo generates 4, 6 or 8 seconds (8 whenever reference images are used); the clip
slot may be shorter, so the store step keeps the first `seconds` of the video.
Video is re-encoded (H.264) so the cut lands on a frame, not on the previous
keyframe; the audio track is copied and cut at its own frame boundary (an AAC frame is
about 21 ms: re-encoding it cost more CPU than the video for a short clip, 69 ms vs 26 ms
per cut of the emulator's clip): the result is within one video frame of `seconds`. Deterministic (-bitexact, one thread) so a retried store writes the
same bytes. Works file to file (`trim_mp4_file`): the store step streams the video to
disk and ffmpeg reads and writes there, so the video is never held in memory.

The store step cuts through `trim_mp4_file_bounded`: at most one ffmpeg per core at
once in a worker process. Each cut is one single-threaded ffmpeg of about 45 MB RSS
(mostly the static binary's pages), so more at once only adds memory and contention;
and cuts on asyncio's default executor took up to all of its threads, which the
store's own file work waits for (benchmarks/bench_scale.py, docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imageio_ffmpeg

TRIM_TIMEOUT_SECONDS = 120
# ffmpeg processes at once per worker process: one per core this process may run on.
MAX_CONCURRENT_TRIMS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
    os.cpu_count() or 1)
_trim_threads = ThreadPoolExecutor(MAX_CONCURRENT_TRIMS, thread_name_prefix="ffmpeg-trim")


class TrimError(RuntimeError):
    """ffmpeg could not read or cut the video."""


def trim_mp4_file(source: Path, target: Path, seconds: float, keep: str = "start") -> None:
    """Write the first `seconds` of the MP4 at `source` (video and audio) to `target`;
    with keep="end", the last `seconds` (a clip joined into the next one keeps its end)."""
    from_end = ["-sseof", f"-{seconds:.3f}"] if keep == "end" else []
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *from_end,
        "-i", str(source), "-t", f"{seconds:.3f}",
        "-map", "0:v:0", "-map", "0:a?",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-c:a", "copy", "-threads", "1", "-bitexact", "-map_metadata", "-1",
        "-movflags", "+faststart", "-f", "mp4", str(target),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=TRIM_TIMEOUT_SECONDS)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        raise TrimError(f"ffmpeg could not trim the video to {seconds:g} s: "
                        f"{stderr.decode(errors='replace')[-300:]}") from None


async def trim_mp4_file_bounded(source: Path, target: Path, seconds: float,
                                keep: str = "start") -> None:
    """`trim_mp4_file` on one of MAX_CONCURRENT_TRIMS threads; later cuts queue for one."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(_trim_threads, trim_mp4_file, source, target, seconds, keep)
