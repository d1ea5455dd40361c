"""Google API error bodies, shaped as Vertex AI sends them (google.rpc.Status over HTTP).

`{"error": {"code": <http status>, "message": ..., "status": <google.rpc.Code name>,
"details": [<google.protobuf.Any>, ...]}}` — https://cloud.google.com/apis/design/errors
(error model, HTTP mapping, standard detail payloads from google/rpc/error_details.proto).
Operation errors (`operation.error`) are a bare google.rpc.Status: numeric gRPC code.
"""

from __future__ import annotations

from typing import Any

# google.rpc.Code: number -> (name, HTTP status), per https://cloud.google.com/apis/design/errors
RPC_CODES: dict[int, tuple[str, int]] = {
    1: ("CANCELLED", 499),
    2: ("UNKNOWN", 500),
    3: ("INVALID_ARGUMENT", 400),
    4: ("DEADLINE_EXCEEDED", 504),
    5: ("NOT_FOUND", 404),
    6: ("ALREADY_EXISTS", 409),
    7: ("PERMISSION_DENIED", 403),
    8: ("RESOURCE_EXHAUSTED", 429),
    9: ("FAILED_PRECONDITION", 400),
    10: ("ABORTED", 409),
    11: ("OUT_OF_RANGE", 400),
    12: ("UNIMPLEMENTED", 501),
    13: ("INTERNAL", 500),
    14: ("UNAVAILABLE", 503),
    15: ("DATA_LOSS", 500),
    16: ("UNAUTHENTICATED", 401),
}
HTTP_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                     404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED",
                     499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
                     503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
SERVICE = "aiplatform.googleapis.com"

# What Google writes in operation.error.message for the codes tests script most
# (messages are free text; these follow the wording Vertex uses for LRO failures).
OPERATION_MESSAGES = {
    3: "Invalid argument: the request could not be processed by the model.",
    9: "Failed precondition: the request cannot be executed in the current system state.",
    13: "Internal error encountered.",
    14: "The service is currently unavailable.",
    4: "Deadline exceeded while generating the video.",
    8: "Resource exhausted: the model is overloaded. Please try again later.",
}


def error_info(reason: str, domain: str = "googleapis.com", **metadata: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
            "domain": domain, "metadata": {"service": SERVICE, **metadata}}


def retry_info(seconds: float) -> dict[str, Any]:
    """google.rpc.RetryInfo; retryDelay is a google.protobuf.Duration in JSON ("<n>s")."""
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{text}s"}


def bad_request(field: str, description: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": description}]}


def localized(message: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
            "message": message}


def error_body(status: int, message: str, details: list[dict[str, Any]] | None = None,
               status_name: str | None = None) -> dict[str, Any]:
    return {"error": {"code": status, "message": message,
                      "status": status_name or HTTP_STATUS_NAMES.get(status, "UNKNOWN"),
                      "details": list(details or [])}}


def operation_error(code: int, message: str | None = None) -> dict[str, Any]:
    """The `error` of a finished long-running operation (google.rpc.Status, numeric code)."""
    return {"code": code, "message": message or OPERATION_MESSAGES.get(
        code, f"{RPC_CODES.get(code, ('UNKNOWN', 500))[0]}: video generation failed.")}
