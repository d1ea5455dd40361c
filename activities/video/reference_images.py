"""Reference-image URLs as Veo accepts them: Cloud Storage URIs or inline JPEG/PNG bytes.

Vertex AI reads an image from `gcsUri` (gs:// only) or inline `bytesBase64Encoded`,
and its mimeType must be image/jpeg or image/png (workflows/decisions/veo_models.py).
- gs://bucket/object.(jpg|png) is passed as is, when its bucket is allowed
  (RETAKE_REFERENCE_BUCKETS): Vertex reads it with its own service agent's access.
- https://storage.googleapis.com/bucket/object (and storage.cloud.google.com, and
  bucket.storage.googleapis.com/object) becomes gs://bucket/object, its path
  percent-decoded (a GCS object name is the decoded path). With a query string it
  is a signed URL: the signature is what grants access, so it is downloaded and sent
  inline instead.
- Any other http(s) URL is downloaded within bounds (activities/video/reference_fetch.py)
  and checked in a thread (reference_decode.py): JPEG and PNG are sent as they are, any
  other image (WebP, GIF, ...) is converted to PNG.
An image that cannot be used is dropped with its reason: references steer consistency,
and losing one must never fail or retry a paid regeneration.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from google.genai import types

from activities.video.reference_decode import NotAReference, as_jpeg_or_png
from activities.video.reference_fetch import (
    ReferenceFetcher,
    ReferenceRefused,
    Resolver,
    system_resolver,
)
from activities.video.reference_names import reference_name
from activities.video.reference_policy import ReferencePolicy, gcs_uri_of
from workflows.decisions.veo_models import MAX_REFERENCE_BYTES

__all__ = ["LoadedReferences", "ReferenceImageLoader", "gcs_uri_of"]

log = logging.getLogger(__name__)

_MIME_BY_SUFFIX = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# Downloads held in memory at once per worker (each at most MAX_REFERENCE_BYTES), and
# conversions at once (each up to a 64 MiB frame): the worker's memory bound.
CONCURRENT_DOWNLOADS = 4
CONCURRENT_DECODES = 1


@dataclass
class LoadedReferences:
    """The images to send, each with the URL it came from, and why others were dropped."""

    found: list[tuple[str, types.Image]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class ReferenceImageLoader:
    """Turns reference URLs into `types.Image`s under a policy; one per worker."""

    def __init__(self, policy: ReferencePolicy | None = None, *, timeout_seconds: float = 10.0,
                 resolver: Resolver = system_resolver,
                 verify: ssl.SSLContext | bool = True) -> None:
        self._policy = policy or ReferencePolicy()
        self._fetcher = ReferenceFetcher(self._policy, timeout_seconds=timeout_seconds,
                                         max_bytes=MAX_REFERENCE_BYTES, resolver=resolver,
                                         verify=verify)
        self._downloads = asyncio.Semaphore(CONCURRENT_DOWNLOADS)
        self._decodes = asyncio.Semaphore(CONCURRENT_DECODES)

    async def images(self, urls: list[str], limit: int) -> LoadedReferences:
        """Up to `limit` usable references, in order; every other one with its reason."""
        loaded = LoadedReferences()
        for url in urls:
            if len(loaded.found) == limit:
                break
            try:
                loaded.found.append((url, await self.image(url)))
            except ReferenceRefused as exc:
                log.warning("Dropping reference image: %s", exc)
                loaded.dropped.append(str(exc))
        return loaded

    async def image(self, url: str) -> types.Image:
        """The image to send for url, or ReferenceRefused with the reason."""
        if (why := self._policy.refusal(url)) is not None:
            raise ReferenceRefused(why)
        gcs_uri = gcs_uri_of(url)
        if gcs_uri is not None:
            suffix = "." + gcs_uri.rsplit(".", 1)[-1].lower() if "." in gcs_uri else ""
            if suffix not in _MIME_BY_SUFFIX:
                raise ReferenceRefused(f"{reference_name(gcs_uri)}: Veo reads JPEG or PNG "
                                       "from Cloud Storage only")
            return types.Image(gcs_uri=gcs_uri, mime_type=_MIME_BY_SUFFIX[suffix])
        async with self._downloads:
            data = await self._fetcher.fetch(url)
            async with self._decodes:
                try:
                    converted, mime_type = await asyncio.to_thread(as_jpeg_or_png, data)
                except NotAReference as exc:
                    raise ReferenceRefused(f"{reference_name(url)}: {exc}") from None
        if len(converted) > MAX_REFERENCE_BYTES:
            raise ReferenceRefused(f"{reference_name(url)}: over "
                                   f"{MAX_REFERENCE_BYTES // (1024 * 1024)} MB as PNG")
        return types.Image(image_bytes=converted, mime_type=mime_type)

    async def aclose(self) -> None:
        await self._fetcher.aclose()
