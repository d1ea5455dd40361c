"""The conventions every caller of Retake shares: names, ids and search attributes.

Depends on temporalio alone, so the chatbot client, the worker and the workflow read
the same values (like the money-transfer template's shared.py).

Search attributes: register them once per namespace (the embedded dev server does it at
start): `temporal operator search-attribute create --name JobId --type Keyword` and
`--name ClipIndex --type Int`.
"""

from __future__ import annotations

import os

from temporalio.common import SearchAttributeKey

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
