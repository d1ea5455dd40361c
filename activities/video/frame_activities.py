"""Resolving a clip's neighbouring frames when its plan is made: from what is current.

Which clips are the neighbours and which of their versions is current come from the job
(the clip entries of the video_generator stage, the current row of clip_versions; a clip
never regenerated is its version 1). Each neighbour's current video is read from the
video store when it is ours, otherwise downloaded under the reference policy with the
same safety as reference images (activities/video/reference_fetch.py); its end frame is
extracted (activities/video/frames.py) and kept in the store under a deterministic key,
so a retried attempt writes the same file. A neighbour that cannot be used is named in
`missing` with the reason: the plan says so, the regeneration goes on without it.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
from temporalio import activity

from activities.job_store.job_store_activities import CONNECTION_FAULTS, database_unavailable
from activities.video.frames import FrameError, extract_frame, frame_ref
from activities.video.reference_fetch import ReferenceFetcher, ReferenceRefused
from activities.video.reference_policy import ReferencePolicy
from activities.video.store import write_atomically
from workflows.continuity_models import (
    FrameEnd,
    FrameRef,
    NeighbourFrames,
    NeighbourFramesRequest,
)

MAX_VIDEO_BYTES = 200 * 1024 * 1024  # a neighbour's video downloaded to take one frame
VIDEO_TYPES = ("video/mp4", "video/", "application/octet-stream", "binary/octet-stream")

# $1 job id: every clip's index, current video and current version (NULL: version 1).
CLIP_VIDEOS = """
WITH vg AS (
    SELECT retake_stage_json(metadata) AS md FROM job_stages
    WHERE job_id = $1 AND stage_name = 'video_generator'
),
clips AS (SELECT c FROM vg, jsonb_array_elements(retake_array(retake_stage_list(md, 'clips'))) AS c
          WHERE jsonb_typeof(md) = 'object')
SELECT (c ->> 'clip_index')::int AS clip_index, c ->> 'video_url' AS video_url,
       (SELECT version_number FROM clip_versions v
        WHERE v.job_id = $1 AND v.clip_index = (c ->> 'clip_index')::int AND v.is_current)
        AS version
FROM clips WHERE jsonb_typeof(c -> 'clip_index') = 'number'
"""


class FrameActivities:
    def __init__(self, pool: asyncpg.Pool, store_root: Path, *, public_base_url: str | None = None,
                 policy: ReferencePolicy | None = None, timeout_seconds: float = 30.0) -> None:
        self.pool = pool
        self.root = Path(store_root).resolve()
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._fetcher = ReferenceFetcher(policy or ReferencePolicy(),
                                         timeout_seconds=timeout_seconds,
                                         max_bytes=MAX_VIDEO_BYTES, accepted_types=VIDEO_TYPES)

    @activity.defn
    async def load_neighbour_frames(self, req: NeighbourFramesRequest) -> NeighbourFrames:
        """The frames `req` asks for, from the neighbours' current versions."""
        try:
            rows = await self.pool.fetch(CLIP_VIDEOS, req.job_id)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable(f"reading the clips of job {req.job_id}", exc) from exc
        clips = {r["clip_index"]: (r["video_url"], r["version"] or 1) for r in rows}
        before = [i for i in clips if i < req.clip_index]
        after = [i for i in clips if i > req.clip_index]
        found = NeighbourFrames()
        if req.previous:
            if before:
                found.previous_last = await self._frame(req, max(before), clips, "last", found)
            else:
                found.missing.append(f"clip {req.clip_index} is the job's first clip: "
                                     "no previous clip to flow from")
        if req.next:
            if after:
                found.next_first = await self._frame(req, min(after), clips, "first", found)
            else:
                found.missing.append(f"clip {req.clip_index} is the job's last clip: "
                                     "no next clip to lead into")
        if req.own and req.clip_index in clips:
            found.own_first = await self._frame(req, req.clip_index, clips, "first", found)
        return found

    async def _frame(self, req: NeighbourFramesRequest, index: int, clips: dict,
                     end: FrameEnd, found: NeighbourFrames) -> FrameRef | None:
        url, version = clips[index]
        try:
            if not url:
                raise FrameError("it has no current video")
            data = await self._extract(url, end)
        except (FrameError, ReferenceRefused) as exc:
            found.missing.append(f"clip {index} v{version}'s {end} frame not used: {exc}")
            return None
        ref = frame_ref(req.job_id, index, version, end, data)
        await asyncio.to_thread(write_atomically, self.root / ref.name, data)
        return ref

    async def _extract(self, url: str, end: FrameEnd) -> bytes:
        if (local := self._own_file(url)) is not None:
            return await asyncio.to_thread(extract_frame, local, end)
        video = await self._fetcher.fetch(url)
        with tempfile.TemporaryDirectory(prefix="retake-neighbour-") as tmp:
            path = Path(tmp) / "neighbour.mp4"
            path.write_bytes(video)
            return await asyncio.to_thread(extract_frame, path, end)

    def _own_file(self, url: str) -> Path | None:
        """The store's own file for `url`, or None when the video is somewhere else."""
        if url.startswith("file://"):
            path = Path(unquote(urlsplit(url).path)).resolve()
        elif self.public_base_url and url.startswith(self.public_base_url + "/"):
            path = (self.root / url.removeprefix(self.public_base_url + "/")).resolve()
        else:
            return None
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FrameError("its video is not a file of this video store")
        return path

    async def aclose(self) -> None:
        await self._fetcher.aclose()
