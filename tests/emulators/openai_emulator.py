"""A local OpenAI chat-completions emulator (POST /v1/chat/completions) for wire-level tests.

These machines have no internet, and the real client must still be exercised: this
server speaks enough of the API for `openai.AsyncOpenAI` (Structured Outputs
included), checks the bearer key, records the last request body, counts what it
answered, and injects faults: scripted ones (an HTTP status with an optional
Retry-After, a delay, a malformed-JSON or plain-text reply, a refusal, a content
filter stop, a body that is not JSON) and random ones at a seeded rate, for
reliability runs. It runs on its own thread and event loop, so blocking test code
cannot stall it, and is driven over HTTP (/_emulator/...), so a test can drive one
living in another process:

    python -m tests.emulators.openai_emulator --port 8099 --api-key sk-test-...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import threading
import urllib.request
from collections import Counter, deque
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from tests.emulators.threaded_app import ThreadedApp

DEFAULT_API_KEY = "sk-emulator-0123456"
ReplyFault = Literal[
    "malformed_json", "plain_text", "refusal", "content_filter", "broken_body"
]
RANDOM_FAULT_STATUSES = (429, 500, 502, 503)
FAULT_REPLY_PROMPT = "A city street at night, neon reflections on wet asphalt"  # in non-JSON replies


class Fault(BaseModel):
    """One scripted misbehaviour, applied to the next chat-completions request."""

    status: int | None = None  # answer with this HTTP error status
    retry_after: float | None = None  # sent as Retry-After with the status
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

    def next_fault(self) -> Fault | None:
        with self.lock:
            if self.faults:
                return self.faults.popleft()
            if self.rate and self.rng.random() < self.rate:
                status = self.rng.choice(RANDOM_FAULT_STATUSES)
                return Fault(status=status, retry_after=1.0 if status == 429 else None)
            return None

    def count(self, outcome: str) -> None:
        with self.lock:
            self.counters[outcome] += 1


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None):
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = {"error": {"message": message, "type": kind, "code": code}}
    return web.json_response(body, status=status, headers=headers)


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
            # Echoes the key in full (the real API masks it): the harsher case for redaction.
            return _error(401, f"Incorrect API key provided: {provided}.", "invalid_api_key")
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
        fault = state.next_fault()
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status:
            state.count(f"status_{fault.status}")
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else None
            return _error(fault.status, f"Emulated HTTP {fault.status}.", "emulated", headers)
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
    ) -> None:
        fault = Fault(status=status, retry_after=retry_after, delay=delay, reply=reply)
        self._call("POST", "faults", {"faults": [fault.model_dump()]})

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
