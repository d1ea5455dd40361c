"""What continuity with a clip's neighbours travels as: references to frames, never bytes.

A frame is extracted from a neighbour's current video by an activity when the plan is
made (activities/video/frames.py) and stored next to the videos; the workflow carries
only which clip and version it came from, which end, its hash and its stored name.
The submit activity reads the bytes when it builds the request.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

Continuity = Literal["none", "from_previous", "into_next", "both"]
FrameEnd = Literal["first", "last"]


class FrameRef(BaseModel):
    """One frame of one version of one clip, as stored by the frame extractor."""

    clip_index: int
    version: int  # the clip's version the frame was taken from (current at plan time)
    end: FrameEnd  # the first or the last frame of that version's video
    sha256: str  # of the stored image bytes: what the submit must send
    mime_type: Literal["image/png", "image/jpeg"] = "image/png"
    name: str  # the stored frame's name in the video store (no host, no credential)
    size_bytes: int = 0


class NeighbourFrames(BaseModel):
    """The frames a clip could join to, resolved when the plan is made.

    `previous_last` is the previous clip's last frame, `next_first` the next clip's first
    frame, `own_first` this clip's current first frame (Veo's lastFrame needs an image, so
    a clip joined only into the next one keeps its own start). None: no such neighbour
    (the first or last clip of the job) or no current video; `missing` says which and why.
    """

    previous_last: FrameRef | None = None
    next_first: FrameRef | None = None
    own_first: FrameRef | None = None
    missing: list[str] = Field(default_factory=list)


class ContinuityPlan(BaseModel):
    """What the plan joins, and what it gave up for it (shown with the plan, echoed,
    persisted with the version)."""

    asked: Continuity = "none"  # from options.continuity or the instruction's words
    used: Continuity = "none"  # what the frames actually join (may be less than asked)
    first_frame: FrameRef | None = None  # sent as instances[0].image
    last_frame: FrameRef | None = None  # sent as instances[0].lastFrame
    keep: Literal["start", "end"] = "start"  # which part of the video a cut keeps
    references_dropped: bool = False  # Veo takes frames or reference images, not both
    note: str = ""


class NeighbourFramesRequest(BaseModel):
    """Which frames to resolve for one clip (the input of the frame loader)."""

    job_id: UUID
    clip_index: int
    previous: bool = False  # the previous clip's last frame
    next: bool = False  # the next clip's first frame
    own: bool = False  # this clip's own first frame (into_next: lastFrame needs an image)
