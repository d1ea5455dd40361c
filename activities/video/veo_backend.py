"""Veo 3.1 on Vertex AI through google-genai's async client (`client.aio`).

In google-genai 3.x `generate_videos` works only in Vertex mode: an API key (express
mode) or a project + location with Google credentials. A submission is one POST
`...:predictLongRunning`; a status check is one POST `...:fetchPredictOperation`
(`client.aio.operations.get` on an operation rebuilt from its name, so a check needs
nothing but the name the ledger stored).

Choices:
- The SDK's own retries are off (no HttpRetryOptions) and it is handed an httpx
  client, so it does not switch to aiohttp with its hidden sleep-and-retry on
  connection errors: Temporal's retry policy is the one place retries happen.
- Reference images: Veo reads images inline or from Cloud Storage, never from an
  http(s) URL. gs:// URIs (and storage.googleapis.com URLs, rewritten to gs://) are
  passed as references; any other http(s) URL is downloaded here (size-capped, short
  timeout) and sent inline. One that cannot be downloaded is skipped with a warning:
  references steer consistency, and losing one should not fail a paid regeneration.
  At most three are sent (Veo 3.1's limit for asset references).
"""

from __future__ import annotations

import logging
import mimetypes
from urllib.parse import urlsplit

import httpx2 as httpx
from google import genai
from google.auth import exceptions as google_auth_errors
from google.genai import types
from temporalio.exceptions import ApplicationError

from activities.config import Settings
from activities.errors import from_genai_error, non_retryable, redact, retryable
from workflows.decisions.veo_limits import MAX_REFERENCE_IMAGES
from workflows.error_types import GENERATION_FAILED, PROVIDER_AUTH, PROVIDER_UNAVAILABLE
from workflows.step_models import GenerationRequest, GenerationState, GenerationStatus

log = logging.getLogger(__name__)

MAX_REFERENCE_BYTES = 10 * 1024 * 1024
_GCS_HTTP_HOSTS = ("storage.googleapis.com", "storage.cloud.google.com")


class VertexVeoBackend:
    name = "veo"

    def __init__(
        self,
        client: genai.Client,
        *,
        http_client: httpx.AsyncClient,
        output_gcs_uri: str | None = None,
        secrets: list[str | None] | None = None,
        reference_timeout_seconds: float = 10.0,
    ) -> None:
        self._client = client
        self._http = http_client  # used by the SDK, and for downloading references
        self._output_gcs_uri = output_gcs_uri
        self._secrets = list(secrets or [])
        self._reference_timeout = reference_timeout_seconds

    @classmethod
    def from_settings(cls, settings: Settings, credentials=None) -> VertexVeoBackend:
        """Express mode when GOOGLE_API_KEY is set, else project + location + credentials
        (Application Default Credentials unless `credentials` is given)."""
        http_client = httpx.AsyncClient(
            timeout=settings.veo_timeout_seconds,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        http_options = types.HttpOptions(
            base_url=settings.veo_base_url,
            timeout=int(settings.veo_timeout_seconds * 1000),
            httpx_async_client=http_client,
        )
        api_key = settings.google_api_key.get_secret_value() if settings.google_api_key else None
        if api_key:
            client = genai.Client(vertexai=True, api_key=api_key, http_options=http_options)
        else:
            client = genai.Client(
                vertexai=True,
                project=settings.google_cloud_project,
                location=settings.google_cloud_location,
                credentials=credentials,
                http_options=http_options,
            )
        return cls(
            client,
            http_client=http_client,
            output_gcs_uri=settings.veo_output_gcs_uri,
            secrets=settings.secret_values(),
        )

    async def submit(self, req: GenerationRequest) -> str:
        references = await self._reference_images(req.reference_image_urls)
        config = types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=req.duration_seconds,
            seed=req.seed,
            aspect_ratio=req.aspect_ratio,
            negative_prompt=req.negative_prompt or None,
            enhance_prompt=req.enhance_prompt,
            output_gcs_uri=self._output_gcs_uri,
            reference_images=references or None,
        )
        try:
            operation = await self._client.aio.models.generate_videos(
                model=req.model, source=types.GenerateVideosSource(prompt=req.prompt), config=config
            )
        except Exception as exc:
            raise self._provider_error(exc) from None
        if not operation.name:
            raise retryable("Veo answered the submission without an operation name. Retrying.",
                            PROVIDER_UNAVAILABLE)
        return operation.name

    async def check(self, operation_name: str) -> GenerationStatus:
        operation = await self._get(operation_name)
        status = GenerationStatus(operation_name=operation_name, state=GenerationState.RUNNING)
        if not operation.done:
            return status
        if operation.error:
            return status.model_copy(update={
                "state": GenerationState.FAILED,
                "error_code": _int_or_none(operation.error.get("code")),
                "error_message": redact(str(operation.error.get("message") or "no message"),
                                        self._secrets)[:500],
            })
        response = operation.response
        video = _first_video(response)
        if video is not None:
            return status.model_copy(update={
                "state": GenerationState.SUCCEEDED,
                "video_gcs_uri": video.uri,
            })
        if response and (response.rai_media_filtered_count or response.rai_media_filtered_reasons):
            return status.model_copy(update={
                "state": GenerationState.FILTERED,
                "filter_reasons": list(response.rai_media_filtered_reasons or []),
            })
        return status.model_copy(update={
            "state": GenerationState.FAILED,
            "error_message": "Veo finished the operation without a video or a filter reason.",
        })

    async def fetch_video(self, operation_name: str) -> bytes | str:
        operation = await self._get(operation_name)
        video = _first_video(operation.response) if operation.done else None
        if video is None or not (video.video_bytes or video.uri):
            raise non_retryable(
                f"Operation {operation_name} has no finished video to fetch; store a video "
                "only after wait_for_generation reported it succeeded.",
                GENERATION_FAILED,
            )
        return video.video_bytes or video.uri

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, operation_name: str) -> types.GenerateVideosOperation:
        try:
            return await self._client.aio.operations.get(
                types.GenerateVideosOperation(name=operation_name)
            )
        except Exception as exc:
            raise self._provider_error(exc) from None

    def _provider_error(self, exc: Exception) -> ApplicationError:
        """SDK errors via errors.from_genai_error; a missing or refused Google credential
        (project mode) is an auth failure, not a transient fault."""
        if isinstance(exc, google_auth_errors.GoogleAuthError) and not isinstance(
            exc, google_auth_errors.TransportError
        ):
            return non_retryable(
                f"Google credentials for Vertex AI are missing or were refused "
                f"({type(exc).__name__}). Set GOOGLE_API_KEY, or GOOGLE_APPLICATION_CREDENTIALS "
                "for the project the worker uses.",
                PROVIDER_AUTH,
            )
        return from_genai_error(exc, self._secrets)

    async def _reference_images(self, urls: list[str]) -> list[types.VideoGenerationReferenceImage]:
        images = []
        for url in urls:
            if len(images) == MAX_REFERENCE_IMAGES:
                break
            image = await self._reference_image(url)
            if image is not None:
                images.append(types.VideoGenerationReferenceImage(image=image, reference_type="asset"))
        return images

    async def _reference_image(self, url: str) -> types.Image | None:
        mime_type = mimetypes.guess_type(urlsplit(url).path)[0] or "image/png"
        parts = urlsplit(url)
        if parts.scheme == "gs":
            return types.Image(gcs_uri=url, mime_type=mime_type)
        if parts.scheme == "https" and parts.hostname in _GCS_HTTP_HOSTS:
            return types.Image(gcs_uri=f"gs://{parts.path.lstrip('/')}", mime_type=mime_type)
        if parts.scheme not in ("http", "https"):
            log.warning("Skipping reference image with unsupported scheme: %s", redact(url))
            return None
        try:
            response = await self._http.get(url, timeout=self._reference_timeout,
                                            follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("Skipping reference image %s: %s", redact(url), type(exc).__name__)
            return None
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if not content_type.startswith("image/") or len(response.content) > MAX_REFERENCE_BYTES:
            log.warning("Skipping reference image %s: not an image under 10 MB", redact(url))
            return None
        return types.Image(image_bytes=response.content, mime_type=content_type)


def _first_video(response: types.GenerateVideosResponse | None) -> types.Video | None:
    if response and response.generated_videos:
        return response.generated_videos[0].video
    return None


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
