"""A codec server: the team reads encrypted payloads in the Web UI and the CLI.

`python starter.py codec-server` serves `POST /encode` and `POST /decode` the way the
Temporal Web UI and `temporal ... --codec-endpoint` call them (a JSON `{"payloads":
[...]}` body, Temporal's Payloads in protobuf JSON), with the keys of
RETAKE_ENCRYPTION_KEYS(_FILE) (temporalio/samples-python `encryption/codec_server.py`).

- CORS only for the configured UI origin (RETAKE_CODEC_UI_ORIGIN, default the dev
  server's UI, http://localhost:8233); a preflight from any other origin gets no grant.
- A bearer token when RETAKE_CODEC_TOKEN or RETAKE_CODEC_TOKEN_FILE is set (the UI's
  "pass access token", or `--codec-auth "Bearer ..."`); compared in constant time.
  Without a token it serves loopback only and refuses any other address.
- Bound to 127.0.0.1 unless told otherwise. The standard library's threading HTTP
  server: one more dependency would buy nothing here.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payloads

from retake.encryption import EncryptionCodec, EncryptionKeyError, keys_from_environment

DEFAULT_UI_ORIGIN = "http://localhost:8233"
MAX_BODY_BYTES = 8 * 1024 * 1024  # a page of history; Temporal's own payload limit is 2 MB


def token_from_environment(env=None) -> str | None:
    env = os.environ if env is None else env
    if env.get("RETAKE_CODEC_TOKEN_FILE"):
        return Path(env["RETAKE_CODEC_TOKEN_FILE"]).read_text().strip() or None
    return env.get("RETAKE_CODEC_TOKEN") or None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def make_server(codec: EncryptionCodec, *, host: str = "127.0.0.1", port: int = 8081,
                ui_origin: str = DEFAULT_UI_ORIGIN, token: str | None = None) -> ThreadingHTTPServer:
    """The server, bound but not yet serving (`serve_forever`)."""
    if token is None and not _loopback(host):
        raise EncryptionKeyError(
            f"refusing to serve decrypted payloads on {host} without a token: set "
            "RETAKE_CODEC_TOKEN (or _FILE), or bind 127.0.0.1"
        )
    expected = f"Bearer {token}".encode() if token else None

    class Handler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            if self.headers.get("Origin") == ui_origin:
                self.send_header("Access-Control-Allow-Origin", ui_origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers",
                                 "Content-Type, X-Namespace, Authorization")
                self.send_header("Vary", "Origin")

        def _answer(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:  # noqa: N802 (the http.server convention)
            allowed = self.headers.get("Origin") == ui_origin
            self._answer(200 if allowed else 403)

        def do_POST(self) -> None:  # noqa: N802
            action = self.path.rstrip("/").rsplit("/", 1)[-1]
            if action not in ("encode", "decode"):
                return self._answer(404, {"message": "POST /encode or /decode"})
            given = (self.headers.get("Authorization") or "").encode()
            if expected is not None and not hmac.compare_digest(given, expected):
                return self._answer(401, {"message": "a valid bearer token is required"})
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                return self._answer(413, {"message": "body too large"})
            try:
                payloads = ParseDict(json.loads(self.rfile.read(length)), Payloads())
                work = codec.encode if action == "encode" else codec.decode
                result = asyncio.run(work(list(payloads.payloads)))
            except EncryptionKeyError as exc:
                return self._answer(400, {"message": str(exc)})
            except Exception:  # noqa: BLE001 - a malformed body; nothing of it echoed back
                return self._answer(400, {"message": "the body is not Temporal Payloads JSON"})
            self._answer(200, MessageToDict(Payloads(payloads=result)))

        def log_message(self, format, *args) -> None:  # noqa: A002 - no payloads in logs
            return

    return ThreadingHTTPServer((host, port), Handler)


def serve(host: str, port: int) -> int:
    """`starter.py codec-server`: serve until interrupted."""
    keys = keys_from_environment()
    if not keys:
        print("codec-server: RETAKE_ENCRYPTION_KEYS (or _FILE) is not set: nothing to decode")
        return 2
    server = make_server(EncryptionCodec(keys), host=host, port=port,
                         ui_origin=os.environ.get("RETAKE_CODEC_UI_ORIGIN", DEFAULT_UI_ORIGIN),
                         token=token_from_environment())
    print(f"codec server on http://{host}:{port} (CORS for "
          f"{os.environ.get('RETAKE_CODEC_UI_ORIGIN', DEFAULT_UI_ORIGIN)})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
