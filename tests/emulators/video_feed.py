"""Large finished Veo operations, streamed: for the store's memory and heartbeat checks.

The Veo emulator builds each answer in memory (fine for its few-hundred-KB videos).
This server answers Vertex's `...:fetchPredictOperation` for any operation with a
finished operation whose inline video (`bytesBase64Encoded`, as Vertex sends it when
no storageUri was given) is `video_bytes` long, written chunk by chunk, optionally at
`bytes_per_second`, so a 50 MB video costs the server no memory either. The video's
bytes are a deterministic pattern (`video_chunk`), so a test knows its sha256. A request
must carry `Authorization: Bearer ...`; `requests` counts them.

    python -m tests.emulators.video_feed --port 8091 --video-mb 50
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json

from aiohttp import web

from tests.emulators.threaded_app import ThreadedApp

CHUNK = 3 * (1 << 16)  # a multiple of 3: each chunk encodes to whole base64 groups


def video_chunk(index: int) -> bytes:
    """The video's `index`-th chunk: cheap, deterministic, not all one byte."""
    return bytes((index + i) % 251 for i in range(256)) * (CHUNK // 256)


def video_sha256(video_bytes: int) -> str:
    digest = hashlib.sha256()
    for data in iter_video(video_bytes):
        digest.update(data)
    return digest.hexdigest()


def iter_video(video_bytes: int):
    sent, index = 0, 0
    while sent < video_bytes:
        data = video_chunk(index)[: video_bytes - sent]
        yield data
        sent, index = sent + len(data), index + 1


class VideoFeed:
    def __init__(self, video_bytes: int, bytes_per_second: float | None = None) -> None:
        self.video_bytes, self.bytes_per_second = video_bytes, bytes_per_second
        self.requests = 0
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._operation)
        self._server = ThreadedApp(app)

    @property
    def base_url(self) -> str:
        return self._server.root_url

    def start(self) -> VideoFeed:
        self._server.start("video-feed")
        return self

    def stop(self) -> None:
        self._server.stop()

    async def _operation(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": {"code": 401, "status": "UNAUTHENTICATED",
                                                "message": "no bearer token"}}, status=401)
        if not request.path.endswith(":fetchPredictOperation"):
            return web.json_response({"error": {"code": 404, "status": "NOT_FOUND",
                                                "message": request.path}}, status=404)
        name = (await request.json())["operationName"]
        self.requests += 1
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        head = json.dumps({"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "videos": [{"bytesBase64Encoded": "@", "mimeType": "video/mp4"}]}})
        before, after = head.split('"@"')
        await response.write((before + '"').encode())
        for data in iter_video(self.video_bytes):
            await response.write(base64.b64encode(data))
            if self.bytes_per_second:
                await asyncio.sleep(len(data) / self.bytes_per_second)
        await response.write(('"' + after).encode())
        await response.write_eof()
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--video-mb", type=float, default=50.0)
    args = parser.parse_args()
    app = VideoFeed(int(args.video_mb * 2**20))
    app._server.port = args.port
    app.start()
    print(f"video feed on {app.base_url}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
