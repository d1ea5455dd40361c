"""Downloading one reference image from an untrusted URL, within fixed bounds.

- Every hop (the URL, then each redirect, at most MAX_REDIRECTS) passes the policy's
  static check; its host is resolved here and every address checked before connecting,
  and the connection goes to that checked address (Host header and TLS SNI keep the
  name, so the certificate is still verified for it). A name that resolves to a public
  address when checked cannot point somewhere private when connected (DNS rebinding).
- One deadline covers the whole download, redirects included: a server that drips a
  byte a second cannot hold the submit for longer than that.
- `Accept-Encoding: identity`, and an encoded answer is refused: a small gzip body
  cannot expand in memory. The body is read in chunks and reading stops at the cap.
- No proxy from the environment (it would connect on our behalf, unchecked), no
  kept-alive connections (a connection checked for one name is never reused for another).
Every failure is a `ReferenceRefused` whose message says why, without the signed query.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx

from activities.video.reference_names import reference_name
from activities.video.reference_policy import IPAddress, ReferencePolicy

MAX_REDIRECTS = 3
_ACCEPTED_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class ReferenceRefused(Exception):
    """A reference image that is not used; the message is the reason, safe to show."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for host (both families)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class ReferenceFetcher:
    """Downloads reference images under a policy; one per worker, shared by all submits."""

    def __init__(self, policy: ReferencePolicy, *, timeout_seconds: float, max_bytes: int,
                 resolver: Resolver = system_resolver, verify: ssl.SSLContext | bool = True,
                 accepted_types: tuple[str, ...] = _ACCEPTED_TYPES,
                 ) -> None:
        self._accepted = accepted_types  # continuity frames fetch videos with the same safety
        self._policy = policy
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes
        self._resolve = resolver
        self._http = httpx.AsyncClient(
            verify=verify,  # the system's CAs; a test passes a context trusting its own
            follow_redirects=False, trust_env=False, timeout=timeout_seconds,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=0),
        )

    async def fetch(self, url: str) -> bytes:
        """The body of the image at url, or ReferenceRefused saying why not."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url)
        except TimeoutError:
            raise ReferenceRefused(f"{reference_name(url)}: not downloaded within "
                                   f"{self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ReferenceRefused(f"{reference_name(url)}: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _follow(self, url: str) -> bytes:
        first = reference_name(url)
        for hop in range(MAX_REDIRECTS + 1):
            said = f"{first} redirects to " if hop else ""  # each refusal names the hop
            if (why := self._policy.refusal(url)) is not None:
                raise ReferenceRefused(said + why)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                raise ReferenceRefused(f"{said}{reference_name(url)}, which is not downloaded")
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                address = await self._checked_address(host, port)
            except ReferenceRefused as exc:
                raise ReferenceRefused(f"{said}{reference_name(url)}: {exc}") from None
            target = parts._replace(netloc=_netloc(address, parts.port)).geturl()
            headers = {"Host": parts.netloc, "Accept-Encoding": "identity",
                       "Accept": "image/png, image/jpeg, image/*;q=0.8"
                       if self._accepted is _ACCEPTED_TYPES else ", ".join(self._accepted)}
            extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
            async with self._http.stream("GET", target, headers=headers,
                                         extensions=extensions) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                return await self._body(first, response)
        raise ReferenceRefused(f"{first}: more than {MAX_REDIRECTS} redirects")

    async def _checked_address(self, host: str, port: int) -> IPAddress:
        """The first address of host, after every one of them passed the policy."""
        try:
            addresses = await self._resolve(host, port)
        except (OSError, ValueError) as exc:
            raise ReferenceRefused(f"{host} does not resolve ({type(exc).__name__})") from None
        if not addresses:
            raise ReferenceRefused(f"{host} does not resolve")
        for address in addresses:
            if (why := self._policy.address_refusal(host, address)) is not None:
                raise ReferenceRefused(why)
        return addresses[0]

    async def _body(self, name: str, response: httpx.Response) -> bytes:
        if response.status_code != 200:
            raise ReferenceRefused(f"{name}: answered HTTP {response.status_code}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise ReferenceRefused(f"{name}: sent with Content-Encoding {encoding!r} "
                                   "(only identity is accepted)")
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not kind.startswith(self._accepted):
            what = "an image" if self._accepted is _ACCEPTED_TYPES else "a video"
            raise ReferenceRefused(f"{name}: content type {kind or '(none)'!r} is not {what}")
        limit = f"over the {self._max_bytes // (1024 * 1024)} MB cap"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise ReferenceRefused(f"{name}: {limit}")
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > self._max_bytes:
                raise ReferenceRefused(f"{name}: {limit}")  # stops reading here
        return bytes(body)


def _netloc(address: IPAddress, port: int | None) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{host}:{port}" if port else host
