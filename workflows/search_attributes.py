"""Typed search attributes, so the Web UI can list every regeneration of a job.

Register them once per namespace (the embedded dev server does it at start):
`temporal operator search-attribute create --name JobId --type Keyword` and
`--name ClipIndex --type Int`.
"""

from temporalio.common import SearchAttributeKey

JOB_ID = SearchAttributeKey.for_keyword("JobId")
CLIP_INDEX = SearchAttributeKey.for_int("ClipIndex")

ALL = (JOB_ID, CLIP_INDEX)
