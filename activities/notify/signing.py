"""How a push is signed, and how a receiver checks it: pure, standard library only.

The body is the event as JSON. The signature is HMAC-SHA256, keyed with the shared
secret (RETAKE_NOTIFY_SECRET), over "{timestamp}.{body}"; the timestamp is sent beside
it, so a receiver refuses a replayed push (too old) as well as a forged one.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Retake-Signature"  # "sha256=<hex>"
TIMESTAMP_HEADER = "X-Retake-Timestamp"  # unix seconds, as signed
EVENT_HEADER = "X-Retake-Event"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str, *, now: float,
           max_age_seconds: float = 300) -> bool:
    """For receivers: the push is authentic and recent."""
    fresh = abs(now - timestamp) <= max_age_seconds
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)
