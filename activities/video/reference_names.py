"""How a reference image is named outside the job's own metadata: without its credential.

A signed URL's query string is what grants access (X-Goog-Signature, X-Amz-Signature,
a token): whoever reads it can fetch the object until it expires. Workflow history,
heartbeat details and the submission ledger are read by people and tools that should
never get that, so they carry the URL's *name*: the URL without its query, userinfo and
fragment, plus a fragment `#signed=<hash>` that tells two signed URLs of one path apart.
The submit activity reads the full URL again from the job's stored metadata by that
name (`full_urls_by_name`). A URL without a query is its own name.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

SIGNED_MARK = "signed="


def reference_name(url: str) -> str:
    """The URL as history and the ledger may hold it; idempotent."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]  # malformed: still never the query
    netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@ is a credential too
    if not parts.query and netloc == parts.netloc:
        return url
    fragment = ""
    if parts.query:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        fragment = SIGNED_MARK + digest
    return parts._replace(netloc=netloc, query="", fragment=fragment).geturl()


def is_signed_name(name: str) -> bool:
    """A name that stands for a stored URL with a credential (read it back to fetch)."""
    return "#" + SIGNED_MARK in name


def full_urls_by_name(urls: list[str]) -> dict[str, str]:
    """The job's stored URLs, keyed by the name each travels under."""
    return {reference_name(url): url for url in urls}
