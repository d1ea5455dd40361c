"""Reference-image URLs as Veo accepts them: Cloud Storage URIs or inline JPEG/PNG bytes.

Vertex AI reads an image from `gcsUri` (gs:// only) or inline `bytesBase64Encoded`,
and its mimeType must be image/jpeg or image/png (workflows/decisions/veo_models.py).
- gs://bucket/object.(jpg|png) is passed as is.
- https://storage.googleapis.com/bucket/object (and storage.cloud.google.com, and
  bucket.storage.googleapis.com/object) becomes gs://bucket/object, its path
  percent-decoded (a GCS object name is the decoded path). With a query string it
  is a signed URL: the signature is what grants access, so it is downloaded and sent
  inline instead.
- Any other http(s) URL is downloaded (size-capped, short timeout) and sent inline.
- Downloaded bytes are checked with Pillow: JPEG and PNG are sent as they are, any
  other image (WebP, GIF, ...) is converted to PNG.
An image that cannot be used is skipped with a warning: references steer consistency,
and losing one should not fail a paid regeneration.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import unquote, urlsplit

import httpx2 as httpx
from google.genai import types
from PIL import Image, UnidentifiedImageError

from activities.errors import redact
from workflows.decisions.veo_models import MAX_REFERENCE_BYTES, REFERENCE_MIME_TYPES

log = logging.getLogger(__name__)

_GCS_HTTP_HOSTS = ("storage.googleapis.com", "storage.cloud.google.com")
_GCS_SUFFIX = ".storage.googleapis.com"
_MIME_BY_SUFFIX = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
_MIME_BY_FORMAT = {"JPEG": "image/jpeg", "PNG": "image/png"}


def gcs_uri_of(url: str) -> str | None:
    """The gs:// URI an unsigned Cloud Storage https URL names, or None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme == "gs":
        return url
    if parts.scheme != "https" or parts.query:
        return None
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).lstrip("/")
    if host in _GCS_HTTP_HOSTS and "/" in path:
        return f"gs://{path}"
    if host.endswith(_GCS_SUFFIX) and path:
        return f"gs://{host.removesuffix(_GCS_SUFFIX)}/{path}"
    return None


def as_jpeg_or_png(data: bytes) -> tuple[bytes, str] | None:
    """The image as JPEG or PNG bytes with its mimeType; others converted to PNG."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime_type = _MIME_BY_FORMAT.get(image.format or "")
            if mime_type in REFERENCE_MIME_TYPES:
                return data, mime_type
            image.seek(0)  # an animated image: its first frame
            out = io.BytesIO()
            mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
            image.convert(mode).save(out, format="PNG")
            return out.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, ValueError):
        return None


class ReferenceImageLoader:
    """Turns reference URLs into `types.Image`s, downloading with the given client."""

    def __init__(self, http: httpx.AsyncClient, *, timeout_seconds: float = 10.0) -> None:
        self._http = http
        self._timeout = timeout_seconds

    async def images(self, urls: list[str], limit: int) -> list[tuple[str, types.Image]]:
        """Up to `limit` readable references, each with the URL it came from (the echo of a
        submission lists only those sent)."""
        found: list[tuple[str, types.Image]] = []
        for url in urls:
            if len(found) == limit:
                break
            image = await self.image(url)
            if image is not None:
                found.append((url, image))
        return found

    async def image(self, url: str) -> types.Image | None:
        gcs_uri = gcs_uri_of(url)
        if gcs_uri is not None:
            suffix = "." + gcs_uri.rsplit(".", 1)[-1].lower() if "." in gcs_uri else ""
            if suffix not in _MIME_BY_SUFFIX:
                log.warning("Skipping reference image %s: Veo reads JPEG or PNG from Cloud "
                            "Storage only", redact(gcs_uri))
                return None
            return types.Image(gcs_uri=gcs_uri, mime_type=_MIME_BY_SUFFIX[suffix])
        if urlsplit(url).scheme not in ("http", "https"):
            log.warning("Skipping reference image with unsupported scheme: %s", redact(url))
            return None
        data = await self._download(url)
        converted = as_jpeg_or_png(data) if data is not None else None
        if converted is None or len(converted[0]) > MAX_REFERENCE_BYTES:
            if data is not None:
                log.warning("Skipping reference image %s: not an image under %d MB",
                            _shown(url), MAX_REFERENCE_BYTES // (1024 * 1024))
            return None
        return types.Image(image_bytes=converted[0], mime_type=converted[1])

    async def _download(self, url: str) -> bytes | None:
        try:
            response = await self._http.get(url, timeout=self._timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("Skipping reference image %s: %s", _shown(url), type(exc).__name__)
            return None
        if len(response.content) > MAX_REFERENCE_BYTES:
            log.warning("Skipping reference image %s: over %d MB", _shown(url),
                        MAX_REFERENCE_BYTES // (1024 * 1024))
            return None
        return response.content


def _shown(url: str) -> str:
    """A URL for logs: a signed URL's query string is a credential, so it is cut."""
    parts = urlsplit(url)
    return redact(parts._replace(query="", fragment="").geturl())
