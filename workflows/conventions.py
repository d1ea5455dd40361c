"""The conventions every caller of Retake shares: names, ids and search attributes.

Depends on temporalio alone, so the chatbot client, the worker and the workflow read
the same values (like the money-transfer template's shared.py).

Search attributes: register them once per namespace (the embedded dev server does it at
start): `temporal operator search-attribute create --name JobId --type Keyword` and
`--name ClipIndex --type Int`.

The workflow enforces these itself, whoever starts it (the Temporal CLI, any SDK, a
batch parent starting children): it refuses an id other than `workflow_id_for(...)`
and sets its own search attributes (docs/api.md).
"""

from __future__ import annotations

import os

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

WORKFLOW_TYPE = "RegenerateClipWorkflow"
DEFAULT_TASK_QUEUE = "retake"
PROGRESS_QUERY = "progress"  # where a regeneration is (stage, detail, elapsed)
DEFAULT_POLL_INTERVAL_SECONDS = 15.0  # between Veo status checks, unless options say otherwise

# The confirm-first conversation (RegenerateOptions.confirm_first): Update and query names.
PROPOSE_UPDATE = "propose"  # sent with the start: returns the first plan
CONFIRM_UPDATE = "confirm"  # pay for the current plan
REVISE_UPDATE = "revise"  # re-plan with a follow-up instruction, nothing paid
CANCEL_UPDATE = "cancel"  # end with nothing paid
PROPOSAL_QUERY = "proposal"  # the current plan, read-only

# A clip's versions (workflows/clip_versions.py). A revert runs on workflow_id_for(job, clip).
LIST_VERSIONS_WORKFLOW_TYPE = "ListClipVersionsWorkflow"
REVERT_WORKFLOW_TYPE = "RevertClipWorkflow"

# Several clips at once (workflows/regenerate_clips.py); its children use workflow_id_for.
BATCH_WORKFLOW_TYPE = "RegenerateClipsWorkflow"
BATCH_QUERY = "batch"

# Started by a regeneration whose paid video outlives it (workflows/collect_late_video.py).
LATE_COLLECTOR_WORKFLOW_TYPE = "CollectLateVideoWorkflow"

# Pushes to options.notify_url (workflows/notify.py), started as abandoned children.
NOTIFY_WORKFLOW_TYPE = "NotifyWorkflow"

JOB_ID = SearchAttributeKey.for_keyword("JobId")
CLIP_INDEX = SearchAttributeKey.for_int("ClipIndex")
ALL_SEARCH_ATTRIBUTES = (JOB_ID, CLIP_INDEX)


def task_queue() -> str:
    """RETAKE_TASK_QUEUE, or the default: the worker and its callers must agree."""
    return os.environ.get("RETAKE_TASK_QUEUE") or DEFAULT_TASK_QUEUE


def veo_submit_queue(queue: str) -> str:
    """Veo submissions only: the workers serving it set a server-side rate limit
    (max_task_queue_activities_per_second) from the project's Veo quota, so a whole fleet
    stays under it."""
    return f"{queue}-veo-submit"


def backend_queue(queue: str, backend: str) -> str:
    """Status checks and storing (and preview submissions) for one video backend: only
    workers configured for that backend poll it, so none picks up work it cannot do."""
    return f"{queue}-{backend}"


def workflow_id_for(job_id: object, clip_index: int) -> str:
    """One id per clip: a second concurrent regeneration of the same clip is refused."""
    return f"regenerate-{job_id}-{clip_index}"


def search_attributes_for(job_id: object, clip_index: int) -> TypedSearchAttributes:
    """JobId and ClipIndex of one regeneration: the Web UI and `list` find it by job."""
    return TypedSearchAttributes(
        [SearchAttributePair(JOB_ID, str(job_id)), SearchAttributePair(CLIP_INDEX, clip_index)]
    )


def versions_workflow_id(job_id: object, clip_index: int, unique: str) -> str:
    """A read of one clip's versions; `unique` keeps concurrent reads apart."""
    return f"versions-{job_id}-{clip_index}-{unique}"


def batch_workflow_id(job_id: object) -> str:
    """One batch per job at a time (its clips could not run twice anyway)."""
    return f"regenerate-batch-{job_id}"


def late_collection_id(first_run_id: str, attempt: int | str) -> str:
    """The workflow that collects a paid video after its regeneration ended: one per paid
    submission of a regeneration (its first run id, kept by a reset, and the submission
    attempt), so a reset run cannot start a second one."""
    return f"collect-late-{first_run_id}-{attempt}"


def notify_workflow_id(event_id: str) -> str:
    """One push per event (NotifyEvent.event_id): a reset run cannot send it twice."""
    return f"notify-{event_id}"
