"""A small Vertex AI Veo emulator: predictLongRunning + fetchPredictOperation on 127.0.0.1.

It speaks the wire format google-genai 3.x sends in Vertex mode, on both path shapes:
express mode (`/{version}/publishers/google/models/{model}:...`, `x-goog-api-key`)
and project mode (`/{version}/projects/{p}/locations/{l}/publishers/...`, a Bearer
token). A job is done `job_seconds` after it was accepted; its state is computed when
polled, so a thousand concurrent jobs cost a dict entry each. Finished jobs return a
tiny real MP4 as `bytesBase64Encoded`, or a `gcsUri` under the request's storageUri.

Faults: a scripted queue (status + Retry-After, delays, malformed JSON), a seeded
random fault rate, RAI filtering (a prompt word, or the next N submissions) and
operation errors (the next N submissions). Counters of everything received.
Driven in-process (`VeoEmulator.configure/push_fault/reset/counters`) or over HTTP
(`GET /_emulator/counters`, `GET /_emulator/submissions`, `POST /_emulator/config`,
`POST /_emulator/faults`, `POST /_emulator/reset`).

Standalone: `python -m tests.emulators.veo_emulator --port 8090 --job-seconds 2`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import functools
import random
import re
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from tests.emulators.threaded_app import ThreadedApp

DEFAULT_API_KEY = "AIzaEmulatorKey-0123456789ab"
DEFAULT_ACCESS_TOKEN = "ya29.emulator-access-token-0123456789"
KNOWN_MODELS = [
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-2.0-generate-001",
]
DEFAULT_FILTER_REASONS = [
    "Your prompt could not be submitted: it violates Vertex AI's usage guidelines. "
    "Support code: 58061214."
]

_ROUTE = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/"
    r"(?P<scope>projects/[^/]+/locations/[^/]+/)?"
    r"publishers/google/models/(?P<model>[^/:]+):(?P<method>predictLongRunning|fetchPredictOperation)$"
)

Target = Literal["submit", "poll", "any"]


@dataclass
class Fault:
    """One scripted answer, used by the next matching request instead of the real one."""

    status: int = 503
    retry_after: float | None = None
    delay: float = 0.0  # seconds before answering (a client timeout shorter than this fires)
    malformed: bool = False  # HTTP 200 with a body that is not JSON
    message: str = "Injected fault"
    target: Target = "any"


@dataclass
class EmulatorConfig:
    job_seconds: float = 0.0
    api_key: str = DEFAULT_API_KEY
    access_token: str = DEFAULT_ACCESS_TOKEN
    filter_words: list[str] = field(default_factory=list)  # a prompt containing one is filtered
    filter_next: int = 0  # the next N accepted submissions are filtered
    filter_reasons: list[str] = field(default_factory=lambda: list(DEFAULT_FILTER_REASONS))
    fail_next: int = 0  # the next N accepted submissions end with an operation error
    fail_code: int = 13
    fail_message: str = "Video generation failed: internal error in the model server."
    fault_rate: float = 0.0  # share of requests answered with a random fault
    fault_seed: int = 0
    fault_statuses: list[int] = field(default_factory=lambda: [429, 500, 503])
    models: list[str] = field(default_factory=lambda: list(KNOWN_MODELS))  # others: 404


@dataclass
class _Job:
    name: str
    accepted_at: float
    job_seconds: float
    outcome: Literal["video", "filtered", "failed"]
    storage_uri: str | None
    polls: int = 0


@functools.lru_cache(maxsize=1)
def tiny_mp4() -> bytes:
    """A real, playable 2-frame 16x16 MP4, rendered once per process."""
    import imageio.v2 as imageio
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiny.mp4"
        with imageio.get_writer(path, fps=2, codec="libx264", ffmpeg_log_level="error",
                                output_params=["-bitexact"]) as writer:
            for shade in (40, 200):
                writer.append_data(np.full((16, 16, 3), shade, dtype=np.uint8))
        return path.read_bytes()


@functools.lru_cache(maxsize=1)
def _tiny_mp4_base64() -> str:
    return base64.b64encode(tiny_mp4()).decode()


def _error_body(status: int, message: str) -> dict[str, Any]:
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
             404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}


class VeoEmulatorState:
    """Everything the emulator knows; guarded by one lock (handlers and tests share it)."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.lock = threading.Lock()
        self.base_config = config or EmulatorConfig()  # what reset() returns to
        self.reset()

    def reset(self) -> None:
        """Forget jobs, faults, counters and per-test settings."""
        with self.lock:
            self.config = dataclasses.replace(self.base_config)
            self.jobs: dict[str, _Job] = {}
            self.faults: deque[Fault] = deque()
            self.counters: Counter[str] = Counter()
            self.submissions: list[dict[str, Any]] = []
            self.random = random.Random(self.config.fault_seed)

    def configure(self, **changes: Any) -> EmulatorConfig:
        with self.lock:
            unknown = set(changes) - {f.name for f in dataclasses.fields(EmulatorConfig)}
            if unknown:
                raise ValueError(f"unknown emulator settings: {sorted(unknown)}")
            self.config = dataclasses.replace(self.config, **changes)
            if "fault_seed" in changes:
                self.random = random.Random(self.config.fault_seed)
            return self.config

    def push_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                **{k: self.counters[k] for k in (
                    "submit_requests", "submissions_accepted", "polls", "auth_failures",
                    "faults_injected", "requests")},
                "polls_per_operation": {name: job.polls for name, job in self.jobs.items()},
            }

    def take_fault(self, target: Target) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault.target in ("any", target):
                    del self.faults[i]
                    self.counters["faults_injected"] += 1
                    return fault
            cfg = self.config
            if cfg.fault_rate > 0 and self.random.random() < cfg.fault_rate:
                self.counters["faults_injected"] += 1
                return Fault(status=self.random.choice(cfg.fault_statuses), retry_after=0.01,
                             message="Injected random fault")
            return None


class VeoEmulator:
    """The emulator on its own thread and event loop, for tests in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        self.state = VeoEmulatorState(EmulatorConfig(**config))
        self._server = ThreadedApp(build_app(self.state), host, port)

    @property
    def base_url(self) -> str:
        return self._server.root_url

    @property
    def api_key(self) -> str:
        return self.state.config.api_key

    @property
    def access_token(self) -> str:
        return self.state.config.access_token

    def configure(self, **changes: Any) -> EmulatorConfig:
        return self.state.configure(**changes)

    def push_fault(self, status: int = 503, **kwargs: Any) -> None:
        self.state.push_fault(Fault(status=status, **kwargs))

    def reset(self) -> None:
        self.state.reset()

    def counters(self) -> dict[str, Any]:
        return self.state.snapshot()

    def submissions(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.submissions)

    def asset_url(self, name: str = "ref.png") -> str:
        """A small PNG the emulator serves, to stand in for an http(s) reference image."""
        return f"{self.base_url}/_emulator/assets/{name}"

    def start(self) -> VeoEmulator:
        self._server.start("veo-emulator")
        return self

    def stop(self) -> None:
        self._server.stop()


STATE = web.AppKey("state", VeoEmulatorState)


def build_app(state: VeoEmulatorState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024**2)
    app[STATE] = state
    app.router.add_get("/_emulator/counters", _counters)
    app.router.add_get("/_emulator/submissions", _submissions)
    app.router.add_post("/_emulator/config", _config)
    app.router.add_post("/_emulator/faults", _faults)
    app.router.add_post("/_emulator/reset", _reset)
    app.router.add_get("/_emulator/assets/{name}", _asset)
    app.router.add_post("/{tail:.*}", _vertex)
    return app


async def _vertex(request: web.Request) -> web.StreamResponse:
    state: VeoEmulatorState = request.app[STATE]
    match = _ROUTE.match(request.path)
    with state.lock:
        state.counters["requests"] += 1
        if match and match["method"] == "predictLongRunning":
            state.counters["submit_requests"] += 1
        elif match:
            state.counters["polls"] += 1
    if not match:
        return web.json_response(_error_body(404, f"No such method: {request.path}"), status=404)
    denied = _check_auth(state, request, bool(match["scope"]))
    if denied:
        return denied
    target: Target = "submit" if match["method"] == "predictLongRunning" else "poll"
    fault = state.take_fault(target)
    if fault:
        return await _answer_fault(fault)
    try:
        body = await request.json()
    except ValueError:
        return web.json_response(_error_body(400, "Invalid JSON payload received."), status=400)
    prefix = f"{match['scope'] or ''}publishers/google/models/{match['model']}"
    if target == "submit":
        return _submit(state, prefix, match["model"], body)
    return _poll(state, prefix, body)


def _check_auth(state: VeoEmulatorState, request: web.Request, project_scoped: bool):
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    bearer = request.headers.get("Authorization", "")
    if project_scoped and bearer.startswith("Bearer "):
        ok, given = bearer.removeprefix("Bearer ") == state.config.access_token, True
    else:
        ok, given = key == state.config.api_key, bool(key)
    if ok:
        return None
    with state.lock:
        state.counters["auth_failures"] += 1
    if not given:  # like Vertex: never echo the credential back
        return web.json_response(_error_body(
            401, "Request is missing required authentication credential."), status=401)
    return web.json_response(_error_body(
        403, "API key not valid. Please pass a valid API key."), status=403)


async def _answer_fault(fault: Fault) -> web.Response:
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.malformed:
        return web.Response(text='{"name": "projects/broken', content_type="application/json")
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    return web.json_response(_error_body(fault.status, fault.message), status=fault.status,
                             headers=headers)


def _submit(state: VeoEmulatorState, prefix: str, model: str, body: dict) -> web.Response:
    instances = body.get("instances") or [{}]
    instance, params = instances[0], body.get("parameters") or {}
    prompt = instance.get("prompt")
    problem = None
    if model not in state.config.models:
        return web.json_response(_error_body(
            404, f"Publisher Model `{model}` was not found or your project does not have "
            "access to it."), status=404)
    if not prompt and not instance.get("image"):
        problem = "A text prompt or an image is required."
    elif params.get("durationSeconds") not in (None, 4, 6, 8):
        problem = f"durationSeconds must be 4, 6 or 8, got {params.get('durationSeconds')}."
    elif params.get("aspectRatio") not in (None, "16:9", "9:16"):
        problem = f"aspectRatio must be 16:9 or 9:16, got {params.get('aspectRatio')}."
    elif len(instance.get("referenceImages") or []) > 3:
        problem = "At most 3 reference images are supported."
    if problem:
        return web.json_response(_error_body(400, problem), status=400)
    with state.lock:
        cfg = state.config
        outcome: Literal["video", "filtered", "failed"] = "video"
        if cfg.filter_next > 0:
            cfg.filter_next -= 1
            outcome = "filtered"
        elif any(word.lower() in (prompt or "").lower() for word in cfg.filter_words):
            outcome = "filtered"
        elif cfg.fail_next > 0:
            cfg.fail_next -= 1
            outcome = "failed"
        name = f"{prefix}/operations/{uuid.uuid4()}"
        state.jobs[name] = _Job(name, time.monotonic(), cfg.job_seconds, outcome,
                                params.get("storageUri"))
        state.counters["submissions_accepted"] += 1
        state.submissions.append({"operation_name": name, "model": model, **body})
    return web.json_response({"name": name})


def _poll(state: VeoEmulatorState, prefix: str, body: dict) -> web.Response:
    name = body.get("operationName", "")
    with state.lock:
        job = state.jobs.get(name)
        if job is None or not name.startswith(prefix):
            return web.json_response(_error_body(404, f"Operation {name!r} not found."), status=404)
        job.polls += 1
        done = time.monotonic() - job.accepted_at >= job.job_seconds
        cfg = state.config
    if not done:
        return web.json_response({"name": name, "done": False})
    answer: dict[str, Any] = {"name": name, "done": True}
    result_type = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
    if job.outcome == "failed":
        answer["error"] = {"code": cfg.fail_code, "message": cfg.fail_message}
    elif job.outcome == "filtered":
        answer["response"] = {"@type": result_type, "raiMediaFilteredCount": 1,
                              "raiMediaFilteredReasons": list(cfg.filter_reasons)}
    elif job.storage_uri:
        uri = f"{job.storage_uri.rstrip('/')}/{name.rsplit('/', 1)[-1]}/sample_0.mp4"
        answer["response"] = {"@type": result_type,
                              "videos": [{"gcsUri": uri, "mimeType": "video/mp4"}]}
    else:
        answer["response"] = {"@type": result_type, "videos": [
            {"bytesBase64Encoded": _tiny_mp4_base64(), "mimeType": "video/mp4"}]}
    return web.json_response(answer)


async def _counters(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].snapshot())


async def _submissions(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        return web.json_response(list(state.submissions))


async def _config(request: web.Request) -> web.Response:
    try:
        config = request.app[STATE].configure(**await request.json())
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    shown = {k: v for k, v in dataclasses.asdict(config).items()
             if k not in ("api_key", "access_token")}  # credentials are set, never shown
    return web.json_response(shown)


async def _faults(request: web.Request) -> web.Response:
    payload = await request.json()
    for item in payload if isinstance(payload, list) else [payload]:
        request.app[STATE].push_fault(Fault(**item))
    return web.json_response({"queued": len(request.app[STATE].faults)})


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"reset": True})


async def _asset(request: web.Request) -> web.Response:
    return web.Response(body=_tiny_png(), content_type="image/png")


@functools.lru_cache(maxsize=1)
def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description="Vertex AI Veo emulator for Retake's tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--job-seconds", type=float, default=0.0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    args = parser.parse_args()
    state = VeoEmulatorState(EmulatorConfig(job_seconds=args.job_seconds, api_key=args.api_key))
    print(f"Veo emulator on http://{args.host}:{args.port} (job_seconds={args.job_seconds})",
          flush=True)
    web.run_app(build_app(state), host=args.host, port=args.port, access_log=None,
                print=None, backlog=2048)


if __name__ == "__main__":
    main()
