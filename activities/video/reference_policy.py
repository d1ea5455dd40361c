"""Where reference images may come from: hosts, buckets, schemes and addresses.

Reference URLs come from job metadata that other services write and end users shape
through the chatbot, so a URL is untrusted input that makes the worker (or, for gs://,
Vertex's service agent) read something on its behalf. The policy is the operator's:
RETAKE_REFERENCE_HOSTS and RETAKE_REFERENCE_BUCKETS list what may be read
(docs/operations.md). `refusal` is the static check, made when the context is loaded
(so the plan says what was dropped) and again before each download and redirect;
`address_refusal` is made on every address a host resolves to, right before connecting.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field

from activities.video.reference_names import reference_name

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_GCS_HTTP_HOSTS = ("storage.googleapis.com", "storage.cloud.google.com")
_GCS_SUFFIX = ".storage.googleapis.com"


def gcs_uri_of(url: str) -> str | None:
    """The gs:// URI an unsigned Cloud Storage https URL names, or None for any other URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme == "gs":
        return url
    if parts.scheme != "https" or parts.query:
        return None
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).lstrip("/")
    if host in _GCS_HTTP_HOSTS and "/" in path:
        return f"gs://{path}"
    if host.endswith(_GCS_SUFFIX) and path:
        return f"gs://{host.removesuffix(_GCS_SUFFIX)}/{path}"
    return None


class ReferencePolicy(BaseModel):
    """What a reference URL must satisfy; built from Settings (`from_settings`)."""

    hosts: list[str] = Field(default_factory=list)  # empty: any public host
    buckets: list[str] = Field(default_factory=list)  # empty: no gs:// reference at all
    allow_http: bool = False
    allow_private: bool = False  # loopback, private, link-local, ... (tests' emulators)
    # Addresses trusted although not public: lets a test serve from one loopback address
    # while every other loopback address stays refused. Not a setting.
    trusted_networks: list[str] = Field(default_factory=list)

    @classmethod
    def from_settings(cls, settings) -> ReferencePolicy:
        return cls(hosts=settings.reference_hosts, buckets=settings.reference_buckets,
                   allow_http=settings.reference_allow_http,
                   allow_private=settings.reference_allow_private)

    def start_warnings(self) -> list[str]:
        """What the worker says at start about references it will drop."""
        said = []
        if not self.buckets:
            said.append("RETAKE_REFERENCE_BUCKETS is unset: gs:// reference images are "
                        "dropped (Vertex would read any bucket its service agent can). List "
                        "the buckets references may come from to use them.")
        if self.allow_private:
            said.append("RETAKE_REFERENCE_ALLOW_PRIVATE=true: reference images may be "
                        "fetched from loopback and private addresses; tests only.")
        return said

    def refusal(self, url: str) -> str | None:
        """Why this URL may not be read, or None. Says what to set when a setting would
        allow it."""
        shown = reference_name(url)
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return f"{shown} is not a valid URL"
        gcs_uri = gcs_uri_of(url)
        if gcs_uri is not None:  # Vertex reads it, with its service agent's access
            bucket = urlsplit(gcs_uri).netloc
            if not self.buckets:
                return f"{shown}: gs:// references need RETAKE_REFERENCE_BUCKETS"
            if bucket not in self.buckets:
                return f"{shown}: bucket {bucket!r} is not in RETAKE_REFERENCE_BUCKETS"
            return None
        if parts.scheme not in ("https", "http"):
            return f"{shown}: scheme {parts.scheme or '(none)'!r} is not fetched"
        if parts.scheme == "http" and not self.allow_http:
            return f"{shown}: plain http is not fetched (RETAKE_REFERENCE_ALLOW_HTTP)"
        if not host:
            return f"{shown} has no host"
        if parts.username is not None or parts.password is not None:
            return f"{shown}: credentials in the URL are not accepted"
        if self.hosts and not any(_host_matches(host, allowed) for allowed in self.hosts):
            return f"{shown}: host {host!r} is not in RETAKE_REFERENCE_HOSTS"
        literal = _ip_literal(host)
        if literal is not None and (why := self.address_refusal(host, literal)) is not None:
            return f"{shown}: {why}"
        return None

    def address_refusal(self, host: str, address: IPAddress) -> str | None:
        """Why the worker may not connect to this address of `host`, or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
        if address.is_global and not address.is_multicast:
            return None
        if any(address in ipaddress.ip_network(net) for net in self.trusted_networks):
            return None
        if self.allow_private and not (address.is_multicast or address.is_unspecified):
            return None
        where = str(address) if host.strip("[]") == str(address) else f"{host} resolves to {address}"
        return (f"{where}, a non-public address "
                "(RETAKE_REFERENCE_ALLOW_PRIVATE is for tests only)")


def _host_matches(host: str, allowed: str) -> bool:
    """`images.example.com` matches itself; `.example.com` or `*.example.com` its subdomains."""
    allowed = allowed.strip().lower()
    if allowed.startswith("*."):
        allowed = allowed[1:]
    if allowed.startswith("."):
        return host.endswith(allowed)
    return host == allowed


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
