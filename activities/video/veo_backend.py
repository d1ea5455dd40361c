"""Veo 3.1 on Vertex AI through google-genai's async client (`client.aio`).

Project mode only: GOOGLE_CLOUD_PROJECT + GOOGLE_CLOUD_LOCATION with Google credentials
(Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or
the attached service account). Vertex AI express mode (an API key without a project)
documents generateContent-style methods only, not Veo's predictLongRunning, so a
worker with only GOOGLE_API_KEY refuses to start (`veo_setup_problem`) rather than
fail at the first paid call. A submission is one POST `...:predictLongRunning`; a
status check is one POST `...:fetchPredictOperation` (the operation rebuilt from its
name, so a check needs nothing but the name the ledger stored).

Choices:
- Project and location are passed to `genai.Client` explicitly: with a custom
  base_url (VEO_BASE_URL) and project/location only in the environment, google-genai
  3.6 switches to "API gateway" mode and posts to the bare base URL.
- Credentials are loaded once at start (`google.auth.default`, or the key file named
  by GOOGLE_APPLICATION_CREDENTIALS), so missing credentials stop the worker at start.
- The SDK's own retries are off (no HttpRetryOptions) and it is handed an httpx
  client, so it does not switch to aiohttp with its hidden sleep-and-retry on
  connection errors: Temporal's retry policy is the one place retries happen.
- The operation is read as a stream (`_operation_body`): a finished operation carries
  an inline video as base64 (about 67 MB of JSON for a 50 MB video), which google-genai
  would parse whole. The request goes where google-genai would send it
  (`vertex_endpoint`) with the headers it would send, through google-auth's public API
  (`Credentials.refresh` and `apply`: the token and, when the credentials carry one, the
  quota project), and the body goes through `InlineVideoDecoder`: a check skips the
  video, `open_video` streams it to the store.
- Only fields Google documents for the model: no `enhancePrompt` for Veo 3.x (its
  rewriter cannot be turned off), `resolution` (RETAKE_VEO_RESOLUTION, 1080p by default,
  where the model renders it), references as the SDK's own types.
- Every request carries what the model's catalogue row requires: durationSeconds,
  generateAudio (required for Veo 3 models), references as JPEG/PNG asset images
  (activities/video/reference_images.py), at most the model's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import google.auth
import google.auth.transport.requests
import google.oauth2.credentials
import httpx2 as httpx
from google import genai
from google.auth import exceptions as google_auth_errors
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2 import service_account
from temporalio.exceptions import ApplicationError

from activities.config import Settings
from activities.errors import (
    from_genai_error,
    from_google_auth_error,
    non_retryable,
    redact,
    request_may_have_arrived,
    retryable,
    submission_outcome_unknown,
)
from activities.video.backend import Accepted, FetchedVideo
from activities.video.frames import FrameReader
from activities.video.inline_video import InlineVideoDecoder, InlineVideoError
from activities.video.reference_images import ReferenceImageLoader
from activities.video.reference_policy import ReferencePolicy
from workflows.decisions.veo_models import model_for
from workflows.error_types import GENERATION_FAILED, INVALID_INPUT, PROVIDER_UNAVAILABLE
from workflows.step_models import GenerationRequest, GenerationState, GenerationStatus

log = logging.getLogger(__name__)

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def veo_setup_problem(settings: Settings) -> str | None:
    """Why this worker cannot submit to Veo, said at start; None when it can."""
    if settings.google_cloud_project:
        return None
    if settings.google_api_key:
        return (
            "GOOGLE_API_KEY alone (Vertex AI express mode) cannot run Veo: Google's express "
            "mode serves generateContent-style methods, not predictLongRunning. Set "
            "GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION with Application Default "
            "Credentials (GOOGLE_APPLICATION_CREDENTIALS=<service-account key file>, or "
            "`gcloud auth application-default login`), or unset RETAKE_VIDEO_BACKEND=veo "
            "for the preview backend."
        )
    return (
        "RETAKE_VIDEO_BACKEND=veo needs GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION) with "
        "Application Default Credentials; unset it for the preview backend."
    )


def vertex_endpoint(location: str, base_url: str | None) -> str:
    """Where google-genai sends Vertex calls (its `_api_client.py`: a custom base URL, the
    global endpoint, or the regional one; API version v1beta1), for the calls built here."""
    if base_url:
        root = base_url if base_url.endswith("/") else base_url + "/"
    elif location == "global":
        root = "https://aiplatform.googleapis.com/"
    else:
        root = f"https://{location}-aiplatform.googleapis.com/"
    return f"{root}v1beta1/"


def load_credentials(settings: Settings):
    """Application Default Credentials, or the key file GOOGLE_APPLICATION_CREDENTIALS
    names; a ValueError that says what to set when there are none."""
    path = settings.google_application_credentials
    try:
        kind = json.loads(Path(path).read_text()).get("type") if path else None
        if kind == "service_account":
            credentials = service_account.Credentials.from_service_account_file(
                str(path), scopes=[CLOUD_PLATFORM_SCOPE])
        elif kind == "authorized_user":
            credentials = google.oauth2.credentials.Credentials.from_authorized_user_file(
                str(path), scopes=[CLOUD_PLATFORM_SCOPE])
        else:
            # Anything else (workload identity federation, gcloud's ADC file, the metadata
            # server): google-auth's own search, which reads GOOGLE_APPLICATION_CREDENTIALS
            # and applies GOOGLE_CLOUD_QUOTA_PROJECT itself.
            credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            return credentials
        if quota := os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT"):
            # As google.auth.default does for a key file: requests name this project.
            credentials = credentials.with_quota_project(quota)
        return credentials
    except (google_auth_errors.GoogleAuthError, OSError, ValueError) as exc:
        raise ValueError(
            f"No usable Google credentials for Veo on Vertex AI ({type(exc).__name__}: {exc}). "
            "Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run "
            "`gcloud auth application-default login`, or run on Google Cloud with an "
            "attached service account."
        ) from None
    return credentials


class VertexVeoBackend:
    name = "veo"

    def __init__(
        self,
        client: genai.Client,
        *,
        http_client: httpx.AsyncClient,
        output_gcs_uri: str | None = None,
        secrets: list[str | None] | None = None,
        references: ReferenceImageLoader | None = None,
        credentials=None,
        endpoint: str | None = None,
        scope: str = "",
        default_resolution: str = "1080p",
        frames: FrameReader | None = None,
    ) -> None:
        self._frames = frames
        self._client = client
        self._credentials = credentials  # signs the hand-built status checks and fetches
        self._endpoint = endpoint  # e.g. https://us-central1-aiplatform.googleapis.com/v1beta1/
        self._scope = scope  # projects/P/locations/L/, prefixed as google-genai does
        self._refresh_lock = asyncio.Lock()
        self._default_resolution = default_resolution
        self._http = http_client  # used by the SDK (references have a client of their own)
        self._output_gcs_uri = output_gcs_uri
        self._secrets = list(secrets or [])
        self._references = references or ReferenceImageLoader()

    @classmethod
    def from_settings(cls, settings: Settings, credentials=None,
                      frames: FrameReader | None = None) -> VertexVeoBackend:
        """Project + location + credentials (Application Default Credentials unless
        `credentials` is given); a ValueError when Veo cannot be used as configured."""
        if problem := veo_setup_problem(settings):
            raise ValueError(problem)
        if settings.google_api_key:
            log.warning("GOOGLE_API_KEY is ignored for Veo: project mode with Google "
                        "credentials is used (express mode does not serve Veo).")
        credentials = credentials or load_credentials(settings)
        http_client = httpx.AsyncClient(
            timeout=settings.veo_timeout_seconds,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        http_options = types.HttpOptions(
            base_url=settings.veo_base_url,
            timeout=int(settings.veo_timeout_seconds * 1000),
            httpx_async_client=http_client,
        )
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
            references=ReferenceImageLoader(
                ReferencePolicy.from_settings(settings),
                timeout_seconds=settings.reference_timeout_seconds),
            credentials=credentials,
            endpoint=vertex_endpoint(settings.google_cloud_location, settings.veo_base_url),
            scope=f"projects/{settings.google_cloud_project}/locations/"
                  f"{settings.google_cloud_location}/",
            default_resolution=settings.veo_resolution,
            frames=frames,
        )

    async def submit(self, req: GenerationRequest) -> Accepted:
        model = model_for(req.model)
        loaded = await self._references.images(req.reference_image_urls,
                                                model.max_reference_images)
        references = [_asset_reference(image) for _, image in loaded.found]
        sent = [url for url, _ in loaded.found]
        config = types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=req.duration_seconds,
            generate_audio=req.generate_audio if model.audio else None,
            seed=req.seed,
            aspect_ratio=req.aspect_ratio,
            negative_prompt=req.negative_prompt or None,
            # Veo 3.x rewrites prompts whatever is asked: the field is not sent [REWRITE].
            enhance_prompt=req.enhance_prompt if model.prompt_rewriter_optional else None,
            resolution=model.resolution_for(req.resolution or self._default_resolution),
            # A video to be cut comes back inline: the worker cuts and stores it.
            output_gcs_uri=self._output_gcs_uri if req.delivered_seconds is None else None,
            reference_images=references or None,
            last_frame=self._frame(req.last_frame),
        )
        source = types.GenerateVideosSource(prompt=req.prompt, image=self._frame(req.first_frame))
        try:
            operation = await self._client.aio.models.generate_videos(
                model=req.model, source=source, config=config
            )
        except Exception as exc:
            raise self._provider_error(exc, submitting=True) from None
        if not operation.name:  # an answer, but no operation to follow: maybe charged
            raise submission_outcome_unknown(
                "Vertex Veo", ValueError("an answer without an operation name"))
        return Accepted(operation.name, sent, loaded.dropped)

    def _frame(self, ref) -> types.Image | None:
        """A continuity frame as the SDK's own Image type (instances[0].image/.lastFrame)."""
        if ref is None:
            return None
        if self._frames is None:
            raise non_retryable("This worker has no frame store to read continuity frames "
                                "from; start it with the video store configured.", INVALID_INPUT)
        return types.Image(image_bytes=self._frames.read(ref), mime_type=ref.mime_type)

    async def check(self, operation_name: str) -> GenerationStatus:
        operation = await self._get(operation_name)  # an inline video is skipped, not held
        return self._status(operation_name, operation)

    @contextlib.asynccontextmanager
    async def check_and_open(self, operation_name: str
                             ) -> AsyncIterator[tuple[GenerationStatus, FetchedVideo | None]]:
        """One `fetchPredictOperation`: an inline video found in the answer means Veo
        succeeded, and its bytes stream on from the same response (decoded as they come,
        never whole in memory); otherwise the answer is read as `check` reads it."""
        async with self._operation_body(operation_name) as body:
            decoder, first = await _read_to_video(body)
            if decoder.found:
                status = GenerationStatus(operation_name=operation_name,
                                          state=GenerationState.SUCCEEDED)
                yield status, FetchedVideo(chunks=self._rest_of_video(decoder, first, body))
                return
            status = self._status(operation_name, self._parse(decoder))
            uri = status.video_gcs_uri if status.state == GenerationState.SUCCEEDED else None
            yield status, (FetchedVideo(uri=uri) if uri else None)

    def _status(self, operation_name: str,
                operation: types.GenerateVideosOperation) -> GenerationStatus:
        """What an operation says: running, failed (redacted), succeeded or filtered."""
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

    @contextlib.asynccontextmanager
    async def open_video(self, operation_name: str) -> AsyncIterator[FetchedVideo]:
        """The finished video: its gs:// URI, or its inline bytes decoded as they stream."""
        async with self._operation_body(operation_name) as body:
            decoder, first = await _read_to_video(body)
            if decoder.found:
                yield FetchedVideo(chunks=self._rest_of_video(decoder, first, body))
                return
            video = self._finished_video(operation_name, self._parse(decoder))
            if not video.uri:
                raise self._no_video(operation_name)
            yield FetchedVideo(uri=video.uri)

    async def _rest_of_video(
        self, decoder: InlineVideoDecoder, first: bytes, body: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        if first:
            yield first
        try:
            async for chunk in body:
                if data := decoder.feed(chunk):
                    yield data
            decoder.operation()  # the body ended where JSON may end, not inside the video
        except InlineVideoError as exc:
            raise retryable(f"Veo's answer for the video was cut short or garbled ({exc}); "
                            "fetching it again.", PROVIDER_UNAVAILABLE) from None

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._references.aclose()

    async def _get(self, operation_name: str) -> types.GenerateVideosOperation:
        """The operation, as `client.aio.operations.get` returns it, minus any inline video."""
        async with self._operation_body(operation_name) as body:
            decoder = InlineVideoDecoder(skip_video=True)
            async for chunk in body:
                decoder.feed(chunk)
        return self._parse(decoder)

    @contextlib.asynccontextmanager
    async def _operation_body(self, operation_name: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """One streamed POST `...:fetchPredictOperation`, as google-genai would send it."""
        resource = operation_name.rpartition("/operations/")[0]
        if not resource.startswith("projects/"):  # as google-genai's request builder does
            resource = self._scope + resource
        url = f"{self._endpoint}{resource}:fetchPredictOperation"
        try:
            headers = await self._auth_headers()
            async with self._http.stream("POST", url, json={"operationName": operation_name},
                                         headers=headers) as response:
                await genai_errors.APIError.raise_for_async_response(response)
                yield _guarded(response.aiter_bytes(), self._provider_error)
        except ApplicationError:
            raise
        except Exception as exc:
            raise self._provider_error(exc) from None

    async def _auth_headers(self) -> dict[str, str]:
        """The headers google-genai would send, through google-auth's public API: the
        bearer token (refreshed when due, off the event loop) and, when the credentials
        carry a quota project, x-goog-user-project (`Credentials.apply`)."""
        credentials = self._credentials
        if not credentials.valid:
            async with self._refresh_lock:
                if not credentials.valid:
                    await asyncio.to_thread(credentials.refresh,
                                            google.auth.transport.requests.Request())
        headers = {"Content-Type": "application/json"}
        credentials.apply(headers)
        return headers

    def _parse(self, decoder: InlineVideoDecoder) -> types.GenerateVideosOperation:
        try:
            return types.GenerateVideosOperation.from_api_response(decoder.operation(),
                                                                   is_vertex_ai=True)
        except (InlineVideoError, ValueError) as exc:
            raise retryable(f"Veo answered the status check with unreadable JSON ({exc}). "
                            "Retrying.", PROVIDER_UNAVAILABLE) from None

    def _finished_video(
        self, operation_name: str, operation: types.GenerateVideosOperation
    ) -> types.Video:
        video = _first_video(operation.response) if operation.done else None
        if video is None:
            raise self._no_video(operation_name)
        return video

    @staticmethod
    def _no_video(operation_name: str) -> ApplicationError:
        return non_retryable(
            f"Operation {operation_name} has no finished video to fetch; store a video "
            "only after wait_for_generation reported it succeeded.",
            GENERATION_FAILED,
        )

    def _provider_error(self, exc: Exception, *, submitting: bool = False) -> ApplicationError:
        """SDK errors via errors.from_genai_error; a Google credential failure (raised before
        the request is sent) via errors.from_google_auth_error, which follows google-auth's
        retryable flag (issue 12); a submission whose answer was lost is of unknown outcome."""
        if isinstance(exc, google_auth_errors.GoogleAuthError):
            return from_google_auth_error(exc)
        if submitting and request_may_have_arrived(exc):
            return submission_outcome_unknown("Vertex Veo", exc)
        return from_genai_error(exc, self._secrets)


def _asset_reference(image: types.Image) -> types.VideoGenerationReferenceImage:
    """An asset reference as Google's own SDK sends it (`referenceType: "ASSET"`, the
    enum google-genai and Google's tested Vertex sample use; the REST page writes it in
    lower case, and the emulator takes either).
    """
    return types.VideoGenerationReferenceImage(
        image=image, reference_type=types.VideoGenerationReferenceType.ASSET)


async def _guarded(chunks: AsyncIterator[bytes], mapped) -> AsyncIterator[bytes]:
    """The body's chunks; a transport fault mid-body becomes the typed provider error."""
    try:
        async for chunk in chunks:
            yield chunk
    except Exception as exc:
        raise mapped(exc) from None


def _first_video(response: types.GenerateVideosResponse | None) -> types.Video | None:
    if response and response.generated_videos:
        return response.generated_videos[0].video
    return None


async def _read_to_video(body: AsyncIterator[bytes]) -> tuple[InlineVideoDecoder, bytes]:
    """Feed the answer until its inline video starts (then `first` holds its first decoded
    bytes and the rest stays in `body`), or to its end when it has none."""
    decoder, first = InlineVideoDecoder(), b""
    async for chunk in body:
        first = decoder.feed(chunk)
        if decoder.found:
            break
    return decoder, first


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
