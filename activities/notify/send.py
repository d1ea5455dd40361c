"""The notify activity: POST one signed event to the caller's notify_url.

Hosts are allowed by a setting (RETAKE_NOTIFY_HOSTS), so a caller cannot make the
worker post to an internal address; https only unless RETAKE_NOTIFY_ALLOW_HTTP (tests).
A receiver's 5xx, 429 or a network fault is retried by Temporal's retry policy; any
other 4xx and a refused URL are not (`NotifyRefused`). The caller of this activity runs
it in NotifyWorkflow (workflows/notify.py), a child the regeneration abandons, so a slow
or dead receiver never delays a regeneration.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx2 as httpx
from pydantic import SecretStr
from temporalio import activity

from activities import errors
from activities.notify.signing import EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from workflows.notify_models import Notification

NOTIFY_REFUSED = "NotifyRefused"  # workflows/notify.py does not retry it
NOTIFY_UNDELIVERED = "NotifyUndelivered"


class NotifyActivities:
    def __init__(self, hosts: list[str], secret: SecretStr | None, *, allow_http: bool = False,
                 timeout_seconds: float = 10.0) -> None:
        """`hosts`: RETAKE_NOTIFY_HOSTS; none set means no push is ever sent."""
        self._hosts = {h.lower() for h in hosts}
        self._secret = secret
        self._allow_http = allow_http
        self._timeout = timeout_seconds

    def check_url(self, url: str) -> None:
        """Refuse (non-retryable, saying which setting to change) a URL we may not post to."""
        parts = urlsplit(url)
        schemes = ("https", "http") if self._allow_http else ("https",)
        if parts.scheme not in schemes:
            raise errors.non_retryable(
                f"notify_url must use https (got {parts.scheme or 'no scheme'!r})", NOTIFY_REFUSED)
        if (parts.hostname or "").lower() not in self._hosts:
            raise errors.non_retryable(
                f"notify_url host {parts.hostname!r} is not allowed: add it to "
                "RETAKE_NOTIFY_HOSTS on the workers", NOTIFY_REFUSED)
        if self._secret is None:
            raise errors.non_retryable(
                "no RETAKE_NOTIFY_SECRET on the workers: pushes are never sent unsigned",
                NOTIFY_REFUSED)

    @classmethod
    def from_settings(cls, settings) -> NotifyActivities:
        return cls(settings.notify_hosts, settings.notify_secret,
                   allow_http=settings.notify_allow_http)

    @activity.defn(name="send_notification")
    async def send_notification(self, note: Notification) -> int:
        """Deliver once; returns the receiver's HTTP status."""
        self.check_url(note.url)
        body = note.event.model_dump_json().encode()
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", EVENT_HEADER: note.event.event,
                   TIMESTAMP_HEADER: str(stamp),
                   SIGNATURE_HEADER: sign(self._secret.get_secret_value(), stamp, body)}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as http:
                response = await http.post(note.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise errors.retryable(f"notify_url unreachable: {type(exc).__name__}",
                                   NOTIFY_UNDELIVERED) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.retryable(f"notify_url answered {response.status_code}",
                                   NOTIFY_UNDELIVERED)
        if response.status_code >= 300:
            raise errors.non_retryable(
                f"notify_url refused the push with {response.status_code}: check the "
                "receiver's URL and signature check", NOTIFY_REFUSED)
        return response.status_code
