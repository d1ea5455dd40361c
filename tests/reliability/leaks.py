"""Scan what Retake leaves behind for API key values: histories, results, errors, logs.

History JSON carries payloads base64-encoded, so a plain text search would miss a key
inside an activity input or result; every `data` field is decoded and scanned too.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from temporalio.client import WorkflowHandle


def _decoded_payloads(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data" and isinstance(value, str):
                try:
                    found.append(base64.b64decode(value, validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    pass
            else:
                found.extend(_decoded_payloads(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_decoded_payloads(item))
    return found


async def history_text(handle: WorkflowHandle) -> str:
    """The whole history as text, payloads decoded."""
    raw = (await handle.fetch_history()).to_json()
    return "\n".join([raw, *_decoded_payloads(json.loads(raw))])


def leaks(secrets: list[str], texts: dict[str, str]) -> list[str]:
    """'<where>: <which secret>' for every secret value found in any text."""
    return [
        f"{where}: {secret[:6]}..."
        for where, text in texts.items()
        for secret in secrets
        if secret and secret in text
    ]
