"""PREVIEW, not Veo: an offline video backend so the whole pipeline runs without credentials.

It behaves like a long-running provider. `submit` writes the request to a small spool
file (so an operation survives a worker restart, as a real provider's would) and
returns `preview/<regeneration_id>`; `check` reports success once `ready_after_seconds`
have passed since submission; `open_video` renders a real, playable MP4 with
imageio-ffmpeg: a seed-coloured moving background, the prompt, and a banner saying
"PREVIEW — not Veo". The same request always renders the same bytes.

It follows the same model catalogue as Veo (workflows/decisions/veo_models.py): a
request Vertex AI would refuse (a retired model, a duration or aspect ratio the model
does not take, references at other than 8 s) is refused here too, and the video is
rendered at the generated length, so the store step trims it to the delivered length
exactly as it does a Veo video.

Continuity (issue 30): given a first frame (`image`) the render starts on it exactly and
dissolves into its own picture; given a last frame (`lastFrame`) it dissolves into it and
ends on it exactly, as Veo is asked to. The catalogue's frame rules apply here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import random
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from activities.errors import non_retryable, retryable
from activities.video.backend import Accepted, FetchedVideo, chunks_of
from activities.video.frames import FrameReader
from activities.video.store import safe_name, write_atomically
from workflows.decisions.continuity import frame_problems
from workflows.decisions.veo_models import request_problems
from workflows.error_types import PROVIDER_BAD_REQUEST, PROVIDER_NOT_FOUND, PROVIDER_UNAVAILABLE
from workflows.step_models import GenerationRequest, GenerationState, GenerationStatus

OPERATION_PREFIX = "preview/"
BANNER = "PREVIEW — not Veo"


class PreviewVideoBackend:
    name = "preview"

    def __init__(
        self,
        spool_dir: Path,
        *,
        width: int = 320,
        height: int = 180,
        fps: int = 12,
        max_seconds: float | None = None,  # None: the full generated length
        ready_after_seconds: float = 0.0,
        frames: FrameReader | None = None,  # reads continuity frames from the video store
    ) -> None:
        self.frames = frames
        self.spool_dir = Path(spool_dir)
        self.width, self.height, self.fps = width, height, fps
        self.max_seconds = max_seconds
        self.ready_after_seconds = ready_after_seconds

    async def submit(self, req: GenerationRequest) -> Accepted:
        problems = request_problems(req.model, req.duration_seconds, req.aspect_ratio,
                                    len(req.reference_image_urls))
        problems += frame_problems(req.model, req.duration_seconds,
                                   req.first_frame is not None, req.last_frame is not None,
                                   bool(req.reference_image_urls))
        if (req.first_frame or req.last_frame) and self.frames is None:
            problems.append("this preview backend has no frame store to read frames from")
        if problems:
            raise non_retryable(
                "The preview backend refuses what Veo would refuse: " + "; ".join(problems)
                + ".", PROVIDER_BAD_REQUEST)
        spool = self._spool_path(req.regeneration_id)
        record = {"submitted_at": time.time(), "request": req.model_dump(mode="json")}
        if not spool.exists():  # a resubmission keeps the first submission time
            try:
                await asyncio.to_thread(write_atomically, spool, json.dumps(record).encode())
            except OSError as exc:  # typed here, or it reads as a lost Postgres connection
                raise retryable(
                    f"The preview video backend could not write its spool file in "
                    f"{self.spool_dir} ({type(exc).__name__}); check that RETAKE_DATA_DIR is "
                    "a writable folder. Nothing was paid.", PROVIDER_UNAVAILABLE) from exc
        return Accepted(OPERATION_PREFIX + req.regeneration_id, list(req.reference_image_urls))

    async def check(self, operation_name: str) -> GenerationStatus:
        record = await asyncio.to_thread(self._load, operation_name)
        waited = time.time() - float(record["submitted_at"])
        done = waited >= self.ready_after_seconds
        return GenerationStatus(
            operation_name=operation_name,
            state=GenerationState.SUCCEEDED if done else GenerationState.RUNNING,
        )

    async def fetch_video(self, operation_name: str) -> bytes:
        record = await asyncio.to_thread(self._load, operation_name)
        req = GenerationRequest.model_validate(record["request"])
        return await asyncio.to_thread(self.render, req)

    @contextlib.asynccontextmanager
    async def open_video(self, operation_name: str) -> AsyncIterator[FetchedVideo]:
        """The render (small: a few hundred KB) as a stream, like a Veo video."""
        yield FetchedVideo(chunks=chunks_of(await self.fetch_video(operation_name)))

    @contextlib.asynccontextmanager
    async def check_and_open(self, operation_name: str
                             ) -> AsyncIterator[tuple[GenerationStatus, FetchedVideo | None]]:
        """A local render needs no second request to save: check, then render if done."""
        status = await self.check(operation_name)
        if status.state != GenerationState.SUCCEEDED:
            yield status, None
            return
        async with self.open_video(operation_name) as video:
            yield status, video

    async def aclose(self) -> None:
        return None

    def render(self, req: GenerationRequest) -> bytes:
        """The MP4 for one request: deterministic for its prompt, seed and duration."""
        seconds = max(1.0, min(float(req.duration_seconds), self.max_seconds or 3600.0))
        frame_count = int(round(seconds * self.fps))
        overlay = self._text_overlay(req)
        rng = random.Random(req.seed)
        start = np.array([rng.randrange(30, 200) for _ in range(3)], dtype=np.float32)
        end = np.array([rng.randrange(30, 200) for _ in range(3)], dtype=np.float32)
        phase, speed = rng.random(), 0.5 + rng.random()
        first = self._frame_pixels(req.first_frame)
        last = self._frame_pixels(req.last_frame)
        dissolve = max(1, frame_count // 4)  # frames over which a join dissolves
        xs = np.linspace(0.0, 1.0, self.width, dtype=np.float32)[None, :, None]
        frames = []
        for i in range(frame_count):
            t = i / max(1, frame_count - 1)
            shift = (xs + phase + speed * t) % 1.0
            row = start + (end - start) * shift  # a colour band sliding across the frame
            background = np.broadcast_to(row, (self.height, self.width, 3)).astype(np.uint8)
            frame = Image.fromarray(np.ascontiguousarray(background), "RGB")
            frame.paste(overlay, (0, 0), overlay)
            pixels = np.asarray(frame, dtype=np.float32)
            if first is not None and i < dissolve:
                weight = 1.0 - i / dissolve
                pixels = first * weight + pixels * (1.0 - weight)
            if last is not None and frame_count - 1 - i < dissolve:
                weight = 1.0 - (frame_count - 1 - i) / dissolve
                pixels = last * weight + pixels * (1.0 - weight)
            frames.append(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
        with tempfile.TemporaryDirectory(prefix="retake-preview-") as tmp:
            path = Path(tmp) / "preview.mp4"
            with imageio.get_writer(
                path,
                fps=self.fps,
                codec="libx264",
                macro_block_size=4,
                ffmpeg_log_level="error",
                output_params=["-threads", "1", "-preset", "ultrafast", "-bitexact"],
            ) as writer:
                for frame in frames:
                    writer.append_data(frame)
            return path.read_bytes()

    def _frame_pixels(self, ref) -> np.ndarray | None:
        """A continuity frame at the render's size, as float pixels (None: not asked)."""
        if ref is None or self.frames is None:
            return None
        image = Image.open(io.BytesIO(self.frames.read(ref))).convert("RGB")
        return np.asarray(image.resize((self.width, self.height)), dtype=np.float32)

    def _text_overlay(self, req: GenerationRequest) -> Image.Image:
        overlay = Image.new("RGBA", (self.width, self.height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        banner_font, has_dash = _font(14)
        text_font, _ = _font(11)
        draw.rectangle((0, 0, self.width, 22), fill=(0, 0, 0, 200))
        banner = BANNER if has_dash else BANNER.replace("—", "-")
        draw.text((6, 4), banner, font=banner_font, fill=(255, 220, 0, 255))
        lines = textwrap.wrap(req.prompt, width=max(20, self.width // 7))[:7]
        lines.append(f"seed {req.seed}, clip {req.clip_index}, {req.duration_seconds}s asked")
        y = 30
        for line in lines:
            draw.rectangle((4, y - 1, 8 + draw.textlength(line, font=text_font), y + 13),
                           fill=(0, 0, 0, 140))
            draw.text((6, y), line, font=text_font, fill=(255, 255, 255, 255))
            y += 16
        return overlay

    def _spool_path(self, regeneration_id: str) -> Path:
        return self.spool_dir / f"{safe_name(regeneration_id)}.json"

    def _load(self, operation_name: str) -> dict:
        regeneration_id = operation_name.removeprefix(OPERATION_PREFIX)
        if not operation_name.startswith(OPERATION_PREFIX) or not regeneration_id:
            raise non_retryable(
                f"{operation_name!r} is not a preview operation name (expected "
                f"'{OPERATION_PREFIX}<regeneration_id>').",
                PROVIDER_NOT_FOUND,
            )
        try:
            return json.loads(self._spool_path(regeneration_id).read_text())
        except FileNotFoundError:
            raise non_retryable(
                f"Preview operation {operation_name!r} is unknown to this worker "
                f"(no spool file in {self.spool_dir}). Submit the generation again.",
                PROVIDER_NOT_FOUND,
            ) from None


@functools.lru_cache(maxsize=8)
def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """DejaVu Sans where installed (it has the em dash); Pillow's own font otherwise."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size), True
    except OSError:
        return ImageFont.load_default(size=size), False


