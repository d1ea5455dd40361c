"""`starter.py demo --continuity ...`: make the neighbours real videos first, then say
which frames the regenerated clip was joined to.

The sample job's clips point at a host that does not exist, so before joining a clip to
its neighbours the demo regenerates them (on the same backend): their current versions
are then real videos whose end frames can be taken. Afterwards the clip's versions list
says which neighbour versions and frames were used.
"""

from __future__ import annotations

from typing import TextIO
from uuid import UUID

from temporalio.client import Client

from retake.client import list_versions, start_regeneration
from workflows.models import RegenerateClipInput, RegenerateOptions


async def prepare_neighbours(client: Client, job_id: UUID, clip_index: int, continuity: str,
                             *, task_queue: str, out: TextIO) -> None:
    """Regenerate the neighbours the continuity joins to, so they have current videos."""
    wanted = []
    if continuity in ("from_previous", "both") and clip_index > 0:
        wanted.append(clip_index - 1)
    if continuity in ("into_next", "both"):
        wanted.append(clip_index + 1)
    for index in wanted:
        inp = RegenerateClipInput(job_id=job_id, clip_index=index,
                                  instruction="completely regenerate this scene",
                                  options=RegenerateOptions(poll_interval_seconds=0.5))
        try:
            result = await (await start_regeneration(client, inp, task_queue=task_queue)).result()
        except Exception as exc:  # e.g. no such clip: the plan will say there is no neighbour
            print(f"neighbour clip {index} not regenerated: {exc}", file=out)
            continue
        print(f"neighbour clip {index}: version {result.version} is current", file=out)


async def print_frames_used(client: Client, job_id: UUID, clip_index: int, *,
                            task_queue: str, out: TextIO) -> None:
    """Which frames the clip's current version was joined to (from the versions list)."""
    listed = await list_versions(client, job_id, clip_index, task_queue=task_queue)
    current = next((v for v in listed.versions if v.current), None)
    joined = current.continuity if current else None
    if not joined:
        print("continuity: no frames were used (the plan's reasoning says why)", file=out)
        return
    print(f"continuity: {joined['used']} (a cut keeps the {joined['keep']})", file=out)
    for role, frame in (("first frame", joined["first_frame"]),
                        ("last frame", joined["last_frame"])):
        if frame:
            print(f"  {role}: clip {frame['clip_index']} version {frame['version']}'s "
                  f"{frame['end']} frame, sha256 {frame['sha256'][:12]}…", file=out)
