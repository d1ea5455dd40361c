"""A server that attacks whoever fetches reference images from it (issue 27).

Every route is a way an untrusted reference URL can hurt a worker: a body far over the
cap, a gzip bomb, a slow drip, a redirect to a loopback port, an image bomb, a GIF bomb,
a wrong content type; and `/signed.png`, readable only with its signature. It serves on its own thread (`ThreadedApp`), or as a process of
its own for the benchmark (`python -m tests.emulators.hostile_images HOST PORT`), so
its memory is never counted as the fetcher's. Payloads are generated as they stream:
the server itself holds none of them whole.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import struct
import sys
import zlib

from aiohttp import web

from tests.emulators.media import tiny_image
from tests.emulators.threaded_app import ThreadedApp

MB = 1024 * 1024
HUGE_BYTES = 200 * MB
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG that declares 900 million pixels: a few hundred bytes on the wire."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * min(width, 1024)))
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def gif_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A GIF that declares 100 million pixels (under Pillow's own bomb limit, so an
    unchecked converter expands it): LZW data of one clear code and the end code."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # 2-colour global table
    palette = b"\0\0\0\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    lzw = b"\x02\x02\x44\x01\x00"  # min code size 2; codes: clear, end
    return b"GIF89a" + screen + palette + image + lzw + b"\x3b"


async def _ok(request: web.Request) -> web.Response:
    return web.Response(body=tiny_image("PNG"), content_type="image/png")


async def _huge(request: web.Request) -> web.StreamResponse:
    """200 MB of chunked body, no Content-Length: only a streaming cap stops it."""
    response = web.StreamResponse(headers={"Content-Type": "image/png"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    block = PNG_SIGNATURE + b"\0" * (MB - len(PNG_SIGNATURE))
    for _ in range(HUGE_BYTES // MB):
        await response.write(block)
    return response


async def _gzip_bomb(request: web.Request) -> web.StreamResponse:
    """About 200 KB on the wire that a decoding client expands to 200 MB."""
    response = web.StreamResponse(headers={"Content-Type": "image/png",
                                           "Content-Encoding": "gzip"})
    await response.prepare(request)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b"\0" * MB
    for _ in range(HUGE_BYTES // MB):
        if out := squeeze.compress(zeros):
            await response.write(out)
    await response.write(squeeze.flush())
    return response


async def _slow(request: web.Request) -> web.StreamResponse:
    """A valid start, then one byte every 0.2 s: each read is quick, the whole is not."""
    response = web.StreamResponse(headers={"Content-Type": "image/png"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for byte in tiny_image("PNG") * 100:
        await response.write(bytes([byte]))
        await asyncio.sleep(0.2)
    return response


async def _redirect(request: web.Request) -> web.Response:
    """To a loopback address other than the server's own: a service on the worker's host."""
    target = request.query.get("to", f"http://127.0.0.1:{request.url.port}/ok.png")
    raise web.HTTPFound(target)


SIGNATURE_PREFIX = "s3cr3t-"


async def _signed(request: web.Request) -> web.Response:
    """An image only a signed URL may read, as Cloud Storage serves one: no signature, 403."""
    if not request.query.get("X-Goog-Signature", "").startswith(SIGNATURE_PREFIX):
        return web.Response(status=403, text="SignatureDoesNotMatch")
    return web.Response(body=tiny_image("PNG"), content_type="image/png")


async def _png_bomb(request: web.Request) -> web.Response:
    return web.Response(body=png_bomb(), content_type="image/png")


async def _gif_bomb(request: web.Request) -> web.Response:
    return web.Response(body=gif_bomb(), content_type="image/gif")


async def _gif_at_cap(request: web.Request) -> web.Response:
    """A GIF header of 4096 x 4096: within the pixel cap, over the conversion cap."""
    return web.Response(body=gif_bomb(4096, 4096), content_type="image/gif")


@functools.lru_cache(maxsize=1)
def real_gif_at_cap() -> bytes:
    """A real 2048 x 2048 GIF (a gradient, small on the wire): the largest converted."""
    from PIL import Image

    out = io.BytesIO()
    Image.linear_gradient("L").resize((2048, 2048)).convert("P").save(out, format="GIF")
    return out.getvalue()


async def _real_gif_at_cap(request: web.Request) -> web.Response:
    return web.Response(body=real_gif_at_cap(), content_type="image/gif")


@functools.lru_cache(maxsize=1)
def real_webp_at_cap() -> bytes:
    """A real 2048 x 2048 WebP with alpha: the costliest image the loader converts."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((2048, 2048))
    out = io.BytesIO()
    Image.merge("RGBA", [gradient, gradient.transpose(Image.Transpose.ROTATE_90),
                         gradient, gradient]).save(out, format="WEBP", quality=50)
    return out.getvalue()


async def _real_webp_at_cap(request: web.Request) -> web.Response:
    return web.Response(body=real_webp_at_cap(), content_type="image/webp")


async def _html(request: web.Request) -> web.Response:
    return web.Response(text="<html>login</html>", content_type="text/html")


async def _lying(request: web.Request) -> web.Response:
    return web.Response(body=b"<html>not a picture</html>", content_type="image/png")


def hostile_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ok.png", _ok)
    app.router.add_get("/signed.png", _signed)
    app.router.add_get("/huge.png", _huge)
    app.router.add_get("/gzip-bomb.png", _gzip_bomb)
    app.router.add_get("/slow.png", _slow)
    app.router.add_get("/redirect.png", _redirect)
    app.router.add_get("/image-bomb.png", _png_bomb)
    app.router.add_get("/gif-bomb.gif", _gif_bomb)
    app.router.add_get("/gif-at-cap.gif", _gif_at_cap)
    app.router.add_get("/gif-at-conversion-cap.gif", _real_gif_at_cap)
    app.router.add_get("/webp-at-conversion-cap.webp", _real_webp_at_cap)
    app.router.add_get("/page.html", _html)
    app.router.add_get("/lying.png", _lying)
    return app


class HostileImages(ThreadedApp):
    """The hostile server on its own thread; by default on 127.0.0.2, so a test can trust
    that one address while every other loopback address stays refused."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        super().__init__(hostile_app(), host=host)


if __name__ == "__main__":
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # clients hang up: expected
    web.run_app(hostile_app(), host=sys.argv[1], port=int(sys.argv[2]), access_log=None,
                print=lambda *_: None)
