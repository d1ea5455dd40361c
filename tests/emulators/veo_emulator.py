"""A strict Vertex AI Veo emulator: predictLongRunning + fetchPredictOperation on 127.0.0.1.

It answers as Vertex AI documents it (tests/emulators/README.md lists every rule, its
source and its test): only the GA models in veo_catalogue.GA_MODELS are served (others
404), requests that break a documented rule answer 400 INVALID_ARGUMENT, project mode
needs an OAuth access token issued by the emulator's own token endpoint (POST /token,
google-auth's service-account JWT-bearer flow; see oauth.py), express mode (API key, no
project) does not serve Veo unless told to, a per-minute quota answers 429
RESOURCE_EXHAUSTED with RetryInfo, and finished jobs return a real MP4 with audio, of
`durationSeconds` length. Error bodies are google.rpc.Status (google_errors.py).

A job is done `job_seconds` after it was accepted; its state is computed when polled.
Faults: a scripted queue (status, Retry-After header and/or RetryInfo, delays, malformed
JSON), a seeded random fault rate, RAI filtering, operation errors for the next N
submissions, token-endpoint faults. Counters of everything received.
Driven in-process (`VeoEmulator.configure/push_fault/reset/counters/...`) or over HTTP
(`/_emulator/...`, see README.md).

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
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from tests.emulators import google_errors as gerr
from tests.emulators.media import tiny_image, tiny_mp4, video_mp4
from tests.emulators.oauth import OAuthError, TokenAuthority, write_key_file
from tests.emulators.quota import SlidingWindowQuota
from tests.emulators.threaded_app import ThreadedApp
from tests.emulators.veo_catalogue import GA_MODELS, RETIRED_MODELS, check_request

__all__ = ["VeoEmulator", "VeoEmulatorState", "EmulatorConfig", "Fault", "tiny_mp4",
           "video_mp4", "GA_MODELS", "RETIRED_MODELS", "DEFAULT_MODEL"]

DEFAULT_API_KEY = "AIzaEmulatorKey-0123456789ab"
DEFAULT_ACCESS_TOKEN = "ya29.emulator-access-token-0123456789"
DEFAULT_PROJECT = "retake-emulated"
DEFAULT_LOCATION = "us-central1"
DEFAULT_MODEL = "veo-3.1-generate-001"
KNOWN_MODELS = list(GA_MODELS)  # kept for importers: the ids that are served
DEFAULT_FILTER_REASONS = [
    "Your prompt could not be submitted: it violates Vertex AI's usage guidelines. "
    "Support code: 58061214."
]
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.")
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.")
API_KEY_INVALID = "API key not valid. Please pass a valid API key."

_ROUTE = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/"
    r"(?P<scope>projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/google/models/(?P<model>[^/:]+):(?P<method>predictLongRunning|fetchPredictOperation)$"
)

Target = Literal["submit", "poll", "any", "token"]


@dataclass
class Fault:
    """One scripted answer, used by the next matching request instead of the real one."""

    status: int = 503
    retry_after: float | None = None  # sent as a Retry-After header (Vertex itself never does)
    retry_delay: float | None = None  # sent as details[RetryInfo].retryDelay (as Vertex does)
    reason: str | None = None  # details[ErrorInfo].reason
    delay: float = 0.0  # seconds before answering (a client timeout shorter than this fires)
    malformed: bool = False  # HTTP 200 with a body that is not JSON
    message: str = "Injected fault"
    target: Target = "any"
    oauth_error: str | None = None  # for target="token": the OAuth error code in the body


@dataclass
class EmulatorConfig:
    job_seconds: float = 0.0
    api_key: str = DEFAULT_API_KEY
    access_token: str = DEFAULT_ACCESS_TOKEN  # static token (old tests); see static_token
    static_token: bool = True  # accept `access_token` without an OAuth exchange
    express_mode: bool = False  # serve Veo on the project-less API-key path
    project: str = DEFAULT_PROJECT
    location: str = DEFAULT_LOCATION
    quota_per_minute: int | None = None  # None: no quota; Google documents 50 for GA Veo 3.1
    token_lifetime_seconds: int = 3599
    relaxed_rules: list[str] = field(default_factory=list)  # veo_catalogue rule ids to skip
    filter_words: list[str] = field(default_factory=list)  # a prompt containing one is filtered
    filter_next: int = 0  # the next N accepted submissions are filtered
    filter_reasons: list[str] = field(default_factory=lambda: list(DEFAULT_FILTER_REASONS))
    fail_next: int = 0  # the next N accepted submissions end with an operation error
    fail_code: int = 13
    fail_message: str | None = None  # None: Google's wording for fail_code
    fault_rate: float = 0.0  # share of requests answered with a random fault
    fault_seed: int = 0
    fault_statuses: list[int] = field(default_factory=lambda: [429, 500, 503])
    models: list[str] = field(default_factory=lambda: list(GA_MODELS))  # served; others 404
    # The quota project the caller's credentials carry: every project-mode request must send
    # it as x-goog-user-project, as google-genai's _api_client.py does [GENAI] (stricter
    # reading: a request without it is refused, not billed to the credentials' own project).
    quota_project: str | None = None


@dataclass
class _Job:
    name: str
    accepted_at: float
    job_seconds: float
    outcome: Literal["video", "filtered", "failed"]
    storage_uri: str | None
    duration: int
    aspect_ratio: str
    audio: bool
    samples: int
    error: dict[str, Any] | None = None
    polls: int = 0
    first_done_at: float | None = None  # monotonic: when a check was first answered done


class VeoEmulatorState:
    """Everything the emulator knows; guarded by one lock (handlers and tests share it)."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.lock = threading.Lock()
        self.base_config = config or EmulatorConfig()  # what reset() returns to
        self.authority = TokenAuthority()  # service accounts survive reset(); tokens do not
        self.reset()

    def reset(self) -> None:
        """Forget jobs, faults, counters, issued tokens and per-test settings."""
        with self.lock:
            self.config = dataclasses.replace(self.base_config)
            self.jobs: dict[str, _Job] = {}
            self.faults: deque[Fault] = deque()
            self.operation_errors: deque[dict[str, Any]] = deque()
            self.counters: Counter[str] = Counter()
            self.rejections_by_status: Counter[int] = Counter()
            self.submissions: list[dict[str, Any]] = []
            self.paid: list[dict[str, Any]] = []
            self.rejected: list[dict[str, Any]] = []
            self.random = random.Random(self.config.fault_seed)
            self.quota = SlidingWindowQuota(self.config.quota_per_minute)
            self.authority.tokens.clear()
            self.authority.lifetime_seconds = self.config.token_lifetime_seconds

    def configure(self, **changes: Any) -> EmulatorConfig:
        with self.lock:
            unknown = set(changes) - {f.name for f in dataclasses.fields(EmulatorConfig)}
            if unknown:
                raise ValueError(f"unknown emulator settings: {sorted(unknown)}")
            self.config = dataclasses.replace(self.config, **changes)
            if "fault_seed" in changes:
                self.random = random.Random(self.config.fault_seed)
            if "quota_per_minute" in changes:
                self.quota = SlidingWindowQuota(self.config.quota_per_minute)
            if "token_lifetime_seconds" in changes:
                self.authority.lifetime_seconds = self.config.token_lifetime_seconds
            return self.config

    def push_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def finish_jobs(self) -> None:
        """Every accepted job is done at its next poll: ends jobs held by a long job_seconds."""
        with self.lock:
            for job in self.jobs.values():
                job.job_seconds = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                **{k: self.counters[k] for k in (
                    "submit_requests", "submissions_accepted", "polls", "auth_failures",
                    "faults_injected", "requests", "quota_rejections", "rejected_requests",
                    "operations_failed", "token_requests", "tokens_issued", "token_failures",
                    "static_token_uses")},
                "rejections_by_status": {str(k): v for k, v in self.rejections_by_status.items()},
                "polls_per_operation": {name: job.polls for name, job in self.jobs.items()},
            }

    def take_fault(self, target: Target) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault.target == target or (fault.target == "any" and target != "token"):
                    del self.faults[i]
                    self.counters["faults_injected"] += 1
                    return fault
            cfg = self.config
            if target != "token" and cfg.fault_rate > 0 and self.random.random() < cfg.fault_rate:
                self.counters["faults_injected"] += 1
                status = self.random.choice(cfg.fault_statuses)
                return Fault(status=status, retry_delay=0.01 if status == 429 else None,
                             message="Injected random fault")
            return None

    def reject(self, status: int, body: dict[str, Any], model: str | None, rule: str | None,
               headers: dict[str, str] | None = None,
               rules: list[str] | None = None) -> web.Response:
        """Answer an error before anything is paid, and remember it."""
        with self.lock:
            self.counters["rejected_requests"] += 1
            self.rejections_by_status[status] += 1
            self.rejected.append({"status": status, "model": model, "rule": rule,
                                  "rules": rules or [rule],
                                  "message": body["error"]["message"]})
        return web.json_response(body, status=status, headers=headers)


class VeoEmulator:
    """The emulator on its own thread and event loop, for tests in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        self.state = VeoEmulatorState(EmulatorConfig(**config))
        self._server = ThreadedApp(build_app(self.state), host, port)

    # -- where it is, and credentials --------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.root_url

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def project(self) -> str:
        return self.state.config.project

    @property
    def location(self) -> str:
        return self.state.config.location

    @property
    def api_key(self) -> str:
        return self.state.config.api_key

    @property
    def access_token(self) -> str:
        """A static token accepted without an OAuth exchange (old tests; configure(static_token=False) refuses it)."""
        return self.state.config.access_token

    def write_service_account_key(self, path: str | Path, name: str = "retake-worker") -> Path:
        """Write a service-account JSON key whose token_uri is this emulator's /token.

        Point GOOGLE_APPLICATION_CREDENTIALS at it (with GOOGLE_CLOUD_PROJECT=self.project,
        GOOGLE_CLOUD_LOCATION=self.location) and google-auth's real JWT-bearer exchange
        runs against the emulator.
        """
        with self.state.lock:
            account = self.state.authority.create_account(self.project, name)
        return write_key_file(account, self.token_uri, path)

    def adc_env(self, key_path: str | Path) -> dict[str, str]:
        """The environment variables that make google-auth/google-genai use `key_path` here."""
        return {"GOOGLE_APPLICATION_CREDENTIALS": str(key_path),
                "GOOGLE_CLOUD_PROJECT": self.project, "GOOGLE_CLOUD_LOCATION": self.location}

    def expire_tokens(self) -> None:
        """Every access token issued so far is expired from now on (401 until refreshed)."""
        with self.state.lock:
            self.state.authority.expire_all()

    # -- behaviour --------------------------------------------------------------------
    def configure(self, **changes: Any) -> EmulatorConfig:
        return self.state.configure(**changes)

    def push_fault(self, status: int = 503, **kwargs: Any) -> None:
        self.state.push_fault(Fault(status=status, **kwargs))

    def push_token_fault(self, status: int = 503, oauth_error: str = "temporarily_unavailable",
                         message: str = "The service is currently unavailable.") -> None:
        """The next POST /token answers `status` with an OAuth error body."""
        self.state.push_fault(Fault(status=status, oauth_error=oauth_error, message=message,
                                    target="token"))

    def fail_operations(self, count: int = 1, code: int = 13, message: str | None = None) -> None:
        """The next `count` accepted submissions finish with operation.error {code, message}."""
        with self.state.lock:
            for _ in range(count):
                self.state.operation_errors.append(gerr.operation_error(code, message))

    def reset(self) -> None:
        self.state.reset()

    def finish_jobs(self) -> None:
        self.state.finish_jobs()

    # -- what happened ----------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        return self.state.snapshot()

    def submissions(self) -> list[dict[str, Any]]:
        """Accepted request bodies, each with its operation_name and model."""
        with self.state.lock:
            return list(self.state.submissions)

    def paid_submissions(self) -> list[dict[str, Any]]:
        """One summary per accepted (billable) operation."""
        with self.state.lock:
            return [dict(p) for p in self.state.paid]

    def rejections(self) -> list[dict[str, Any]]:
        """Requests answered with an error before anything was paid (status, model, rule, message)."""
        with self.state.lock:
            return [dict(r) for r in self.state.rejected]

    def asset_url(self, name: str = "ref.png") -> str:
        """A small image the emulator serves (.png, .jpg, .webp, .gif by suffix)."""
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
    app.router.add_get("/_emulator/paid", _paid)
    app.router.add_get("/_emulator/rejections", _rejections)
    app.router.add_post("/_emulator/config", _config)
    app.router.add_post("/_emulator/faults", _faults)
    app.router.add_post("/_emulator/operation_errors", _operation_errors)
    app.router.add_post("/_emulator/expire_tokens", _expire_tokens)
    app.router.add_post("/_emulator/service_account", _service_account)
    app.router.add_post("/_emulator/reset", _reset)
    app.router.add_get("/_emulator/assets/{name}", _asset)
    app.router.add_post("/token", _token)
    app.router.add_post("/{tail:.*}", _vertex)
    return app


async def _token(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        state.counters["token_requests"] += 1
    fault = state.take_fault("token")
    if fault:
        with state.lock:  # counted before any delay, so a reset meanwhile stays clean
            state.counters["token_failures"] += 1
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return web.json_response({"error": fault.oauth_error or "server_error",
                                  "error_description": fault.message}, status=fault.status)
    form = {k: str(v) for k, v in (await request.post()).items()}
    token_uri = f"{request.scheme}://{request.host}/token"
    try:
        with state.lock:
            answer = state.authority.exchange(form, token_uri)
            state.counters["tokens_issued"] += 1
    except OAuthError as exc:
        with state.lock:
            state.counters["token_failures"] += 1
        return web.json_response(exc.body(), status=exc.status)
    return web.json_response(answer)


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
        return state.reject(404, gerr.error_body(
            404, f"The requested URL {request.path} was not found on this server."), None, "route")
    model = match["model"]
    denied = _check_auth(state, request, match)
    if denied:
        return denied
    target: Target = "submit" if match["method"] == "predictLongRunning" else "poll"
    if model not in state.config.models:
        return state.reject(404, _model_not_found(match), model, "model.served")
    fault = state.take_fault(target)
    if fault:
        return await _answer_fault(fault)
    try:
        body = await request.json()
    except ValueError:
        return state.reject(400, gerr.error_body(400, "Invalid JSON payload received."),
                            model, "body.json")
    prefix = f"{match['scope'] or ''}publishers/google/models/{model}"
    if target == "submit":
        return _submit(state, prefix, model, body)
    return _poll(state, prefix, body)


def _model_not_found(match: re.Match) -> dict[str, Any]:
    model = match["model"]
    scope = match["scope"] or ""
    message = (f"Publisher Model `{scope}publishers/google/models/{model}` was not found or "
               "your project does not have access to it. Please ensure you are using a valid "
               "model version. For more information, see: "
               "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions")
    details: list[dict[str, Any]] = []
    if model in RETIRED_MODELS:
        details.append(gerr.localized(f"{model} is no longer available; use "
                                      f"{RETIRED_MODELS[model]}."))
    return gerr.error_body(404, message, details)


def _check_auth(state: VeoEmulatorState, request: web.Request, match: re.Match):
    cfg = state.config
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    bearer = request.headers.get("Authorization", "")
    model = match["model"]

    def fail(status: int, message: str, reason: str | None, rule: str) -> web.Response:
        with state.lock:
            state.counters["auth_failures"] += 1
        details = [gerr.error_info(reason, method=_method_name(match))] if reason else []
        if reason == "API_KEY_INVALID":
            details.append(gerr.localized(message))
        return state.reject(status, gerr.error_body(status, message, details), model, rule)

    if match["scope"]:  # project mode: OAuth access token only
        if not bearer.startswith("Bearer "):
            if key:
                return fail(401, "API keys are not supported by this API. Expected OAuth2 "
                            "access token or other authentication credentials that assert a "
                            "principal.", "CREDENTIALS_MISSING", "auth.bearer")
            return fail(401, MISSING_CREDENTIALS, "CREDENTIALS_MISSING", "auth.bearer")
        token = bearer.removeprefix("Bearer ").strip()
        if cfg.static_token and token == cfg.access_token:
            with state.lock:
                state.counters["static_token_uses"] += 1
            return None
        with state.lock:
            problem = state.authority.check(token)
        if problem == "expired":
            return fail(401, INVALID_CREDENTIALS, "ACCESS_TOKEN_EXPIRED", "auth.expired")
        if problem:
            return fail(401, INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED", "auth.token")
        if cfg.quota_project and request.headers.get("x-goog-user-project") != cfg.quota_project:
            return fail(403, "The caller's credentials carry quota project "
                        f"{cfg.quota_project}, but the request does not name it in "
                        "x-goog-user-project.", "USER_PROJECT_DENIED", "auth.quota_project")
        if (match["project"], match["location"]) != (cfg.project, cfg.location):
            return fail(403, f"Permission denied on resource project {match['project']} in "
                        f"location {match['location']}.", "IAM_PERMISSION_DENIED",
                        "auth.project")
        return None
    # express mode: API key on the project-less path
    if not key:
        return fail(401, MISSING_CREDENTIALS, "CREDENTIALS_MISSING", "auth.key")
    if key != cfg.api_key:  # never echo the key back
        return fail(400, API_KEY_INVALID, "API_KEY_INVALID", "auth.api_key_invalid")
    if not cfg.express_mode:
        return fail(403, f"Requests to this API {gerr.SERVICE} method "
                    f"{_method_name(match)} are blocked.", "API_KEY_SERVICE_BLOCKED",
                    "auth.express_mode")
    return None


def _method_name(match: re.Match) -> str:
    method = match["method"][0].upper() + match["method"][1:]
    return f"google.cloud.aiplatform.{match['version']}.PredictionService.{method}"


async def _answer_fault(fault: Fault) -> web.Response:
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.malformed:
        return web.Response(text='{"name": "projects/broken', content_type="application/json")
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    details = []
    if fault.reason:
        details.append(gerr.error_info(fault.reason))
    if fault.retry_delay is not None:
        details.append(gerr.retry_info(fault.retry_delay))
    return web.json_response(gerr.error_body(fault.status, fault.message, details),
                             status=fault.status, headers=headers)


def _submit(state: VeoEmulatorState, prefix: str, model_id: str, body: Any) -> web.Response:
    model = GA_MODELS[model_id] if model_id in GA_MODELS else None
    with state.lock:
        wait = state.quota.take()
        if wait is not None:
            state.counters["quota_rejections"] += 1
    if wait is not None:
        delay = SlidingWindowQuota.delay_seconds(wait)
        message = (f"Quota exceeded for aiplatform.googleapis.com/"
                   f"online_prediction_requests_per_base_model with base model: {model_id}. "
                   "Please submit a quota increase request. "
                   "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.")
        return state.reject(429, gerr.error_body(429, message, [
            gerr.error_info("RATE_LIMIT_EXCEEDED", quota_limit_value=str(
                state.config.quota_per_minute), quota_location=state.config.location),
            gerr.retry_info(delay)]), model_id, "quota.per_minute")
    if model is None:  # served by configure(models=[...]) but not catalogued: no rules known
        problems = []
    else:
        relaxed = set(state.config.relaxed_rules)
        problems = [p for p in check_request(model, body) if p.rule not in relaxed]
    if problems:
        first = problems[0]
        details = [gerr.bad_request(p.field, p.message) for p in problems]
        return state.reject(400, gerr.error_body(400, first.message, details), model_id,
                            first.rule, rules=[p.rule for p in problems])
    instance, params = body["instances"][0], body.get("parameters") or {}
    prompt = instance.get("prompt")
    with state.lock:
        cfg = state.config
        outcome: Literal["video", "filtered", "failed"] = "video"
        error = None
        if cfg.filter_next > 0:
            cfg.filter_next -= 1
            outcome = "filtered"
        elif any(word.lower() in (prompt or "").lower() for word in cfg.filter_words):
            outcome = "filtered"
        elif state.operation_errors:
            outcome, error = "failed", state.operation_errors.popleft()
        elif cfg.fail_next > 0:
            cfg.fail_next -= 1
            outcome, error = "failed", gerr.operation_error(cfg.fail_code, cfg.fail_message)
        name = f"{prefix}/operations/{uuid.uuid4()}"
        duration = params.get("durationSeconds") or 8
        state.jobs[name] = _Job(name, time.monotonic(), cfg.job_seconds, outcome,
                                params.get("storageUri"), int(duration),
                                params.get("aspectRatio", "16:9"),
                                params.get("generateAudio", True) is not False,
                                int(params.get("sampleCount", 1) or 1), error)
        state.counters["submissions_accepted"] += 1
        if outcome == "failed":
            state.counters["operations_failed"] += 1
        state.submissions.append({"operation_name": name, "model": model_id, **body})
        state.paid.append({
            "operation_name": name, "model": model_id, "seed": params.get("seed"),
            "duration_seconds": params.get("durationSeconds"),
            "reference_images": len(instance.get("referenceImages") or []),
            "sample_count": params.get("sampleCount", 1), "parameters": dict(params),
            "outcome": outcome})
    return web.json_response({"name": name})


def _poll(state: VeoEmulatorState, prefix: str, body: Any) -> web.Response:
    name = body.get("operationName", "") if isinstance(body, dict) else ""
    with state.lock:
        job = state.jobs.get(name)
        if job is None or not name.startswith(prefix):
            found = None
        else:
            job.polls += 1
            found = job
        cfg = state.config
    if found is None:
        return state.reject(404, gerr.error_body(404, f"Operation {name!r} not found."),
                            None, "operation.unknown")
    job = found
    if time.monotonic() - job.accepted_at < job.job_seconds:
        return web.json_response({"name": name, "done": False})
    with state.lock:
        if job.first_done_at is None:
            job.first_done_at = time.monotonic()
    answer: dict[str, Any] = {"name": name, "done": True}
    result_type = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
    if job.outcome == "failed":
        answer["error"] = job.error
    elif job.outcome == "filtered":
        answer["response"] = {"@type": result_type, "raiMediaFilteredCount": 1,
                              "raiMediaFilteredReasons": list(cfg.filter_reasons)}
    elif job.storage_uri:
        op_id = name.rsplit("/", 1)[-1]
        answer["response"] = {"@type": result_type, "videos": [
            {"gcsUri": f"{job.storage_uri.rstrip('/')}/{op_id}/sample_{i}.mp4",
             "mimeType": "video/mp4"} for i in range(job.samples)]}
    else:
        encoded = _video_base64(job.duration, job.aspect_ratio, job.audio)
        answer["response"] = {"@type": result_type, "videos": [
            {"bytesBase64Encoded": encoded, "mimeType": "video/mp4"}
            for _ in range(job.samples)]}
    return web.json_response(answer)


@functools.lru_cache(maxsize=16)
def _video_base64(duration: int, aspect_ratio: str, audio: bool) -> str:
    return base64.b64encode(video_mp4(duration, aspect_ratio, audio)).decode()


async def _counters(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].snapshot())


async def _submissions(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        return web.json_response(list(state.submissions))


async def _paid(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        return web.json_response(list(state.paid))


async def _rejections(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        return web.json_response(list(state.rejected))


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


async def _operation_errors(request: web.Request) -> web.Response:
    payload = await request.json()
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        for _ in range(int(payload.get("count", 1))):
            state.operation_errors.append(
                gerr.operation_error(int(payload.get("code", 13)), payload.get("message")))
        return web.json_response({"queued": len(state.operation_errors)})


async def _expire_tokens(request: web.Request) -> web.Response:
    state: VeoEmulatorState = request.app[STATE]
    with state.lock:
        state.authority.expire_all()
    return web.json_response({"expired": True})


async def _service_account(request: web.Request) -> web.Response:
    """The JSON key file for a service account (for a test in another process)."""
    state: VeoEmulatorState = request.app[STATE]
    payload = await request.json() if request.can_read_body else {}
    with state.lock:
        account = state.authority.create_account(state.config.project,
                                                 payload.get("name", "retake-worker"))
    return web.json_response(account.key_file(f"{request.scheme}://{request.host}/token"))


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"reset": True})


_ASSET_FORMATS = {".png": ("PNG", "image/png"), ".jpg": ("JPEG", "image/jpeg"),
                  ".jpeg": ("JPEG", "image/jpeg"), ".webp": ("WEBP", "image/webp"),
                  ".gif": ("GIF", "image/gif")}


async def _asset(request: web.Request) -> web.Response:
    suffix = Path(request.match_info["name"]).suffix.lower()
    fmt, mime = _ASSET_FORMATS.get(suffix, ("PNG", "image/png"))
    return web.Response(body=tiny_image(fmt), content_type=mime)


def _tiny_png() -> bytes:  # kept for importers
    return tiny_image("PNG")


def main() -> None:
    parser = argparse.ArgumentParser(description="Vertex AI Veo emulator for Retake's tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--job-seconds", type=float, default=0.0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--quota-per-minute", type=int, default=None)
    parser.add_argument("--express-mode", action="store_true",
                        help="serve Veo on the project-less API-key path (Google does not)")
    args = parser.parse_args()
    state = VeoEmulatorState(EmulatorConfig(
        job_seconds=args.job_seconds, api_key=args.api_key,
        quota_per_minute=args.quota_per_minute, express_mode=args.express_mode))
    print(f"Veo emulator on http://{args.host}:{args.port} (job_seconds={args.job_seconds})",
          flush=True)
    web.run_app(build_app(state), host=args.host, port=args.port, access_log=None,
                print=None, backlog=2048)


if __name__ == "__main__":
    main()
