"""A local OpenAI chat-completions emulator (POST /v1/chat/completions) for wire-level tests.

These machines have no internet, and the real client must still be exercised: this
server speaks enough of the API for `openai.AsyncOpenAI` (Structured Outputs
included), checks the bearer key, records the last request body, counts what it
answered, and injects faults: scripted ones and random ones at a seeded rate, for
reliability runs. Errors carry OpenAI's body ({"error": {"message", "type", "param",
"code"}}) and headers: 429 insufficient_quota (no retry hint), 429 rate_limit_exceeded
(retry-after, retry-after-ms, or an HTTP-date Retry-After), 404 model_not_found (also
for models retired with `retire_models`), 401 invalid_api_key, any other status.
Unusable replies: a malformed-JSON or plain-text reply, a refusal (message.refusal),
a content-filter stop, finish_reason "length" with truncated content, unparseable
content, a NaN or "NaN" temperature, a body that is not JSON. README.md in this folder
lists each with its source. It runs on its own thread and event loop, so blocking test
code cannot stall it, and is driven over HTTP (/_emulator/...), so a test can drive one
living in another process:

    python -m tests.emulators.openai_emulator --port 8099 --api-key sk-test-...
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import json
import random
import re
import threading
import time
import urllib.request
from collections import Counter, deque
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from tests.emulators.threaded_app import ThreadedApp

DEFAULT_API_KEY = "sk-emulator-0123456"
ReplyFault = Literal[
    "malformed_json", "plain_text", "refusal", "content_filter", "broken_body",
    "length", "unparseable", "nan_temperature", "nan_string_temperature",
]
# Named API errors, with the status, body and headers OpenAI sends for each
# (https://platform.openai.com/docs/guides/error-codes ; README.md in this folder).
ApiError = Literal["insufficient_quota", "rate_limit_exceeded", "model_not_found",
                   "invalid_api_key"]
API_DOCS = "https://platform.openai.com/docs/guides/error-codes/api-errors"
RANDOM_FAULT_STATUSES = (429, 500, 502, 503)
FAULT_REPLY_PROMPT = "A city street at night, neon reflections on wet asphalt"  # in non-JSON replies


class Fault(BaseModel):
    """One scripted misbehaviour, applied to the next chat-completions request."""

    status: int | None = None  # answer with this HTTP error status
    retry_after: float | None = None  # sent as Retry-After (seconds) with the status
    retry_after_ms: float | None = None  # sent as retry-after-ms (OpenAI's own header)
    retry_after_date: bool = False  # send Retry-After as an HTTP-date instead of seconds
    error: ApiError | None = None  # a named OpenAI error (status/body/headers as OpenAI sends)
    delay: float = Field(default=0.0, ge=0.0)  # seconds to wait before answering
    reply: ReplyFault | None = None  # a 200 whose content is not what was asked for


class ScriptedReply(BaseModel):
    """The content of the next successful reply, instead of the default rewrite."""

    content: str
    finish_reason: str = "stop"


class FaultSettings(BaseModel):
    faults: list[Fault] = Field(default_factory=list)
    rate: float | None = Field(default=None, ge=0.0, le=1.0)  # random faults per request
    seed: int | None = None


class _State:
    """Everything the handlers share; guarded by one lock (control may come from any thread)."""

    def __init__(self, api_key: str, seed: int) -> None:
        self.api_key = api_key
        self.retired_models: set[str] = set()
        self.lock = threading.Lock()
        self.reset(seed)

    def reset(self, seed: int = 0) -> None:
        with self.lock:
            self.faults: deque[Fault] = deque()
            self.replies: deque[ScriptedReply] = deque()
            self.counters: Counter[str] = Counter()
            self.total = 0
            self.last_request: dict[str, Any] | None = None
            self.rate = 0.0
            self.rng = random.Random(seed)
            self.retired_models = set()
            # A request still sleeping on a delay fault when a test resets must not take
            # the next test's scripted reply or counts: it answers from its own generation.
            self.generation = getattr(self, "generation", 0) + 1

    def next_fault(self) -> Fault | None:
        with self.lock:
            if self.faults:
                return self.faults.popleft()
            if self.rate and self.rng.random() < self.rate:
                status = self.rng.choice(RANDOM_FAULT_STATUSES)
                if status == 429:
                    return Fault(status=429, error="rate_limit_exceeded", retry_after=1.0,
                                 retry_after_ms=1000)
                return Fault(status=status)
            return None

    def count(self, outcome: str) -> None:
        with self.lock:
            self.counters[outcome] += 1


def _error(status: int, message: str, code: str | None, headers: dict[str, str] | None = None,
           kind: str | None = None):
    kind = kind or ("server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "gpt-6")  # [OAIREASON]
# [OAISO]: Structured Outputs (response_format json_schema) from gpt-4o-2024-08-06 on.
NO_STRUCTURED_OUTPUTS = ("gpt-3.5", "gpt-4-", "gpt-4o-2024-05-13", "o1-mini", "o1-preview")


def parameter_problem(body: dict[str, Any]) -> web.Response | None:
    """What OpenAI refuses for this model family (tests/emulators/README.md, OpenAI rows)."""
    model = body["model"]
    reasoning = model.startswith(REASONING_PREFIXES)
    if reasoning and "temperature" in body and body["temperature"] != 1:
        return _param_error(f"Unsupported value: 'temperature' does not support "
                            f"{body['temperature']} with this model. Only the default (1) "
                            "value is supported.", "temperature", "unsupported_value")
    if reasoning and "max_tokens" in body:
        return _param_error("Unsupported parameter: 'max_tokens' is not supported with this "
                            "model. Use 'max_completion_tokens' instead.", "max_tokens",
                            "unsupported_parameter")
    format_type = (body.get("response_format") or {}).get("type")
    if format_type == "json_schema" and (model in ("gpt-4", "gpt-4-turbo")
                                         or model.startswith(NO_STRUCTURED_OUTPUTS)):
        return _param_error("Invalid parameter: 'response_format' of type 'json_schema' is "
                            "not supported with this model.", "response_format",
                            "invalid_request_error")
    return None


def _param_error(message: str, param: str, code: str) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": code}}
    return web.json_response(body, status=400)


def _mask(key: str) -> str:
    return f"{key[:6]}{'*' * 6}{key[-4:]}" if len(key) > 10 else "*" * len(key)


def _retry_headers(fault: Fault) -> dict[str, str]:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        if fault.retry_after_date:
            when = time.time() + fault.retry_after
            headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
        else:
            headers["Retry-After"] = f"{fault.retry_after:g}"
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = f"{fault.retry_after_ms:g}"
    return headers


def api_error(fault: Fault, model: str) -> web.Response:
    """A named OpenAI error with the status, body and headers the real API sends."""
    if fault.error == "insufficient_quota":  # billing/credits exhausted: no retry hint at all
        return _error(429, "You exceeded your current quota, please check your plan and "
                      f"billing details. For more information on this error, read the docs: "
                      f"{API_DOCS}.", "insufficient_quota", kind="insufficient_quota")
    if fault.error == "rate_limit_exceeded":
        wait = fault.retry_after_ms / 1000 if fault.retry_after_ms is not None else (
            fault.retry_after if fault.retry_after is not None else 1.0)
        headers = {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0",
                   "x-ratelimit-reset-requests": f"{wait:g}s", **_retry_headers(fault)}
        return _error(429, f"Rate limit reached for {model} in organization org-emulator on "
                      f"requests per min (RPM): Limit 500, Used 500, Requested 1. Please try "
                      f"again in {wait:g}s. Visit https://platform.openai.com/account/rate-limits "
                      "to learn more.", "rate_limit_exceeded", headers, kind="requests")
    if fault.error == "model_not_found":
        return _model_not_found(model)
    return _error(401, "Incorrect API key provided: sk-emu******3456. You can find your API "
                  "key at https://platform.openai.com/account/api-keys.", "invalid_api_key")


def _model_not_found(model: str) -> web.Response:
    return _error(404, f"The model `{model}` does not exist or you do not have access to it.",
                  "model_not_found")


def _section(text: str, label: str) -> str | None:
    match = re.search(rf"{label}:\n(.*?)(?:\n\n[A-Z][^\n]*:\n|\Z)", text, re.S)
    return match.group(1).strip() if match else None


def default_reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A deterministic, plausible rewrite: the original prompt with the instruction applied."""
    user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    text = str(user.get("content") or "")
    original = _section(text, "Original prompt") or text
    instruction = _section(text, "Instruction") or ""
    lowered = instruction.lower()
    if re.search(r"almost|identical|same scene just", lowered):
        temperature = 0.25
    elif re.search(r"\b(only|keep)\b", lowered):
        temperature = 0.35
    elif re.search(r"slightly|a bit|a little", lowered):
        temperature = 0.45
    elif re.search(r"completely|start over|redo", lowered):
        temperature = 0.9
    elif re.search(r"night|day|time of day", lowered):
        temperature = 0.75
    else:
        temperature = 0.65
    prompt = f"{original.rstrip('. ')}, {instruction.strip()}" if instruction else original
    return {
        "prompt": prompt,
        "temperature": temperature,
        "reasoning": f"Emulator rewrite: temperature {temperature} chosen from the instruction.",
        "negative_prompt": None,
    }


def _completion(body: dict[str, Any], n: int, content: str | None, **message: Any) -> web.Response:
    finish_reason = message.pop("finish_reason", "stop")
    return web.json_response(
        {
            "id": f"chatcmpl-emulator-{n}",
            "object": "chat.completion",
            "created": 1_700_000_000 + n,
            "model": body.get("model", "gpt-4o"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None, **message},
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
    )


def _fault_reply(kind: ReplyFault, body: dict[str, Any], n: int) -> web.Response:
    if kind == "malformed_json":  # cut off before the temperature
        return _completion(body, n, f'{{"prompt": "{FAULT_REPLY_PROMPT}", "reasoning": "night')
    if kind == "plain_text":  # chat prose, no temperature stated
        text = f"Sure! Here is the rewrite.\nPrompt: {FAULT_REPLY_PROMPT}\nI kept the camera work."
        return _completion(body, n, text)
    if kind == "refusal":
        return _completion(body, n, None, refusal="I'm sorry, I can't help with that request.")
    if kind == "content_filter":
        return _completion(body, n, None, finish_reason="content_filter")
    if kind == "length":  # max_tokens reached: the JSON is cut off mid-string
        full = json.dumps(default_reply(body["messages"]))
        return _completion(body, n, full[: max(len(full) // 2, 1)], finish_reason="length")
    if kind == "unparseable":  # neither JSON nor a prompt in prose
        return _completion(body, n, "¯\\_(ツ)_/¯ <<no answer>>")
    if kind in ("nan_temperature", "nan_string_temperature"):
        reply = default_reply(body["messages"])
        text = json.dumps({**reply, "temperature": "__NAN__"})
        nan = "NaN" if kind == "nan_temperature" else '"NaN"'
        return _completion(body, n, text.replace('"__NAN__"', nan))
    return web.Response(text="<html>502 Bad Gateway</html>", content_type="application/json")


def build_app(state: _State) -> web.Application:
    """The aiohttp application: the API route and the /_emulator control routes."""

    async def chat_completions(request: web.Request) -> web.Response:
        with state.lock:
            state.total += 1
            n = state.total
        provided = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if provided != state.api_key:
            state.count("unauthorized")
            # Echoes the key in full (the real API masks it, see _mask): the harsher case
            # for redaction.
            return _error(401, f"Incorrect API key provided: {provided}. You can find your "
                          "API key at https://platform.openai.com/account/api-keys.",
                          "invalid_api_key")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            state.count("bad_request")
            return _error(400, "We could not parse the JSON body of your request.", "invalid_json")
        with state.lock:
            state.last_request = body
        if not isinstance(body.get("model"), str) or not body.get("messages"):
            state.count("bad_request")
            return _error(400, "'model' and 'messages' are required properties.", "missing")
        with state.lock:
            retired = body["model"] in state.retired_models
        if retired:
            state.count("model_not_found")
            return _model_not_found(body["model"])
        if refused := parameter_problem(body):
            state.count("bad_parameter")
            return refused
        generation = state.generation
        fault = state.next_fault()
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
            if state.generation != generation:  # reset while asleep: leave the new test alone
                return _error(503, "Emulator reset while this request waited.", "emulated")
        if fault and fault.error:
            state.count(fault.error)
            return api_error(fault, body["model"])
        if fault and fault.status == 429:  # a plain 429 is a rate limit, as OpenAI sends it
            state.count("status_429")
            return api_error(fault.model_copy(update={"error": "rate_limit_exceeded"}),
                             body["model"])
        if fault and fault.status:
            state.count(f"status_{fault.status}")
            return _error(fault.status, f"Emulated HTTP {fault.status}.", "emulated",
                          _retry_headers(fault) or None)
        if fault and fault.reply:
            state.count(fault.reply)
            return _fault_reply(fault.reply, body, n)
        with state.lock:
            scripted = state.replies.popleft() if state.replies else None
        state.count("ok")
        if scripted:
            return _completion(body, n, scripted.content, finish_reason=scripted.finish_reason)
        return _completion(body, n, json.dumps(default_reply(body["messages"])))

    async def get_counters(_: web.Request) -> web.Response:
        with state.lock:
            return web.json_response({"total": state.total, "outcomes": dict(state.counters)})

    async def get_last_request(_: web.Request) -> web.Response:
        with state.lock:
            return web.json_response(state.last_request)

    async def post_faults(request: web.Request) -> web.Response:
        settings = FaultSettings.model_validate(await request.json())
        with state.lock:
            state.faults.extend(settings.faults)
            if settings.rate is not None:
                state.rate = settings.rate
            if settings.seed is not None:
                state.rng = random.Random(settings.seed)
        return web.json_response({"queued": len(state.faults)})

    async def post_reply(request: web.Request) -> web.Response:
        reply = ScriptedReply.model_validate(await request.json())
        with state.lock:
            state.replies.append(reply)
        return web.json_response({"queued": len(state.replies)})

    async def post_models(request: web.Request) -> web.Response:
        payload = await request.json()
        with state.lock:
            state.retired_models = set(payload.get("retired") or [])
            return web.json_response({"retired": sorted(state.retired_models)})

    async def post_reset(request: web.Request) -> web.Response:
        payload = await request.json() if request.can_read_body else {}
        state.reset(int(payload.get("seed", 0)))
        return web.json_response({"reset": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/_emulator/counters", get_counters)
    app.router.add_get("/_emulator/last_request", get_last_request)
    app.router.add_post("/_emulator/faults", post_faults)
    app.router.add_post("/_emulator/reply", post_reply)
    app.router.add_post("/_emulator/models", post_models)
    app.router.add_post("/_emulator/reset", post_reset)
    return app


class OpenAIEmulator:
    """The server, on its own thread and event loop; `start()` returns once it listens."""

    def __init__(
        self, api_key: str = DEFAULT_API_KEY, host: str = "127.0.0.1", port: int = 0, seed: int = 0
    ) -> None:
        self.api_key = api_key
        self._server = ThreadedApp(build_app(_State(api_key, seed)), host, port)

    @property
    def root_url(self) -> str:
        return self._server.root_url

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self) -> OpenAIEmulator:
        self._server.start("openai-emulator")
        return self

    def stop(self) -> None:
        self._server.stop()

    def control(self) -> EmulatorControl:
        return EmulatorControl(self.root_url, self.api_key)

    def __enter__(self) -> OpenAIEmulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class EmulatorControl:
    """Drives an emulator over HTTP, in this process or another; blocking on purpose."""

    def __init__(self, root_url: str, api_key: str = DEFAULT_API_KEY) -> None:
        self.root_url = root_url.rstrip("/")
        self.api_key = api_key

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def _call(self, method: str, path: str, payload: object = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.root_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def reset(self, seed: int = 0) -> None:
        self._call("POST", "reset", {"seed": seed})

    def push_fault(
        self,
        status: int | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        reply: ReplyFault | None = None,
        *,
        error: ApiError | None = None,
        retry_after_ms: float | None = None,
        retry_after_date: bool = False,
    ) -> None:
        fault = Fault(status=status, retry_after=retry_after, delay=delay, reply=reply,
                      error=error, retry_after_ms=retry_after_ms,
                      retry_after_date=retry_after_date)
        self._call("POST", "faults", {"faults": [fault.model_dump()]})

    def push_error(self, error: ApiError, retry_after: float | None = None,
                   retry_after_ms: float | None = None, retry_after_date: bool = False) -> None:
        """The next request answers a named OpenAI error (body and headers as OpenAI sends)."""
        self.push_fault(error=error, retry_after=retry_after, retry_after_ms=retry_after_ms,
                        retry_after_date=retry_after_date)

    def retire_models(self, *models: str) -> None:
        """Requests for these models answer 404 model_not_found (until reset)."""
        self._call("POST", "models", {"retired": list(models)})

    def set_fault_rate(self, rate: float, seed: int | None = None) -> None:
        self._call("POST", "faults", {"rate": rate, "seed": seed})

    def script_reply(self, content: str, finish_reason: str = "stop") -> None:
        self._call("POST", "reply", {"content": content, "finish_reason": finish_reason})

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "counters")

    def last_request(self) -> dict[str, Any] | None:
        return self._call("GET", "last_request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    state = _State(args.api_key, args.seed)
    state.rate = args.fault_rate
    web.run_app(build_app(state), host=args.host, port=args.port, shutdown_timeout=0.5)


if __name__ == "__main__":
    main()
