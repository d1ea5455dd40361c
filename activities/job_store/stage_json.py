"""The one Python reading of stored stage metadata; the SQL twin is in migration 004.

The pipeline stores a stage's metadata in several forms, and every reader must see
the same data in each: a JSON object or a jsonb string holding JSON text (the whole
stage), and a list under `key` that is flat (metadata[key] = [...]), nested
(metadata[key][key] = [...], as video_generator writes clips) or itself stored as
JSON text (metadata[key] = "<the list or the nested object, as text>").
`retake_stage_json` / `retake_stage_list` in
activities/postgres/migrations/004_stage_list_text.sql read exactly these forms;
tests/test_data_stage_forms.py checks that both readings agree.
"""

from __future__ import annotations

import json
from typing import Any


def parse_text(value: Any) -> Any:
    """A jsonb string holding JSON text becomes the JSON it holds (once); else unchanged.

    Raises ValueError for text that is not JSON, RecursionError for absurd nesting.
    """
    return json.loads(value) if isinstance(value, str) else value


def list_body(metadata: dict[str, Any], key: str) -> dict[str, Any]:
    """The object holding the stage's list under `key`, ready for the stage's model.

    Nested: metadata[key] itself (its own `key` is the list, its other fields the
    totals). Flat: metadata with metadata[key] as the list. Anything else: metadata
    unchanged, which the model then rejects (no list where one is required).
    """
    inner = parse_text(metadata.get(key))
    if isinstance(inner, dict):
        return inner
    if isinstance(inner, list):
        return {**metadata, key: inner}
    return metadata
