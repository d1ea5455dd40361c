"""Which failed Veo operations are worth one resubmission: the transient codes.

A finished operation can carry `error = {"code": <google.rpc.Code>, "message"}`. The
request was accepted, so a resubmission is a new paid generation: the workflow makes at
most one (TRANSIENT_RESUBMISSIONS), and only for codes Google calls transient:

- 14 UNAVAILABLE: "most likely a transient condition, which can be corrected by retrying
  with a backoff" (googleapis/googleapis google/rpc/code.proto).
- 13 INTERNAL and 2 UNKNOWN: HTTP 500 "Server error due to overload or dependency
  failure" (Vertex AI generative AI API errors:
  https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/api-errors).
- 4 DEADLINE_EXCEEDED (HTTP 504) and 8 RESOURCE_EXHAUSTED ("server overload due to shared
  server capacity ... retry after a few seconds"): same page.

Every other code (3 INVALID_ARGUMENT, 7 PERMISSION_DENIED, 9 FAILED_PRECONDITION, ...)
is about the request and stays terminal.
"""

from __future__ import annotations

TRANSIENT_OPERATION_CODES = frozenset({2, 4, 8, 13, 14})
TRANSIENT_RESUBMISSIONS = 1


def is_transient_operation_error(code: int | None) -> bool:
    return code in TRANSIENT_OPERATION_CODES
