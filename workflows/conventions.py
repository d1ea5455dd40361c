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

JOB_ID = SearchAttributeKey.for_keyword("JobId")
CLIP_INDEX = SearchAttributeKey.for_int("ClipIndex")
ALL_SEARCH_ATTRIBUTES = (JOB_ID, CLIP_INDEX)


def task_queue() -> str:
    """RETAKE_TASK_QUEUE, or the default: the worker and its callers must agree."""
    return os.environ.get("RETAKE_TASK_QUEUE") or DEFAULT_TASK_QUEUE


def workflow_id_for(job_id: object, clip_index: int) -> str:
    """One id per clip: a second concurrent regeneration of the same clip is refused."""
    return f"regenerate-{job_id}-{clip_index}"


def search_attributes_for(job_id: object, clip_index: int) -> TypedSearchAttributes:
    """JobId and ClipIndex of one regeneration: the Web UI and `list` find it by job."""
    return TypedSearchAttributes(
        [SearchAttributePair(JOB_ID, str(job_id)), SearchAttributePair(CLIP_INDEX, clip_index)]
    )
