"""Where finished videos go, behind a small interface.

`LocalVideoStore` writes under a root folder with a deterministic key per
job/clip/regeneration, atomically (temp file + os.replace), and records the content's
sha256 and size. Videos arrive as a stream of chunks (`put_stream`) or as a finished
file (`put_file`, e.g. ffmpeg's cut): hashed while written, never held whole in
memory. Storing the same key twice with the same bytes is a no-op, so the storing
activity is idempotent under retry. A video Veo already wrote to Cloud Storage
is recorded as is (`remote_video`): its gs:// URI becomes the clip's URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, Iterator
from pathlib import Path
from typing import Protocol
from uuid import UUID

from activities.errors import non_retryable
from workflows.error_types import INVALID_INPUT
from workflows.models import BackendName
from workflows.step_models import StoredVideo

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def safe_name(value: str) -> str:
    """An id as one file name: readable, deterministic, never leaving its folder.

    Regeneration ids are `workflow_id/run_id[/attempt]`; unsafe characters become '_'
    and, when anything was changed, a short hash of the original keeps names unique.
    """
    if not value:
        raise non_retryable("An empty id cannot name a stored video.", INVALID_INPUT)
    cleaned = _UNSAFE.sub("_", value).strip(".")[:150]
    if cleaned == value:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:12]
    return f"{cleaned}-{digest}"


def video_key(job_id: UUID, clip_index: int, regeneration_id: str) -> str:
    return f"jobs/{job_id}/clips/{int(clip_index)}/{safe_name(regeneration_id)}.mp4"


def remote_video(uri: str, backend: BackendName) -> StoredVideo:
    """A video the provider already stored (gs://): recorded as is, not copied."""
    return StoredVideo(url=uri, backend=backend)


class VideoStore(Protocol):
    async def put(self, key: str, data: bytes, backend: BackendName) -> StoredVideo:
        """Store `data` under `key` (idempotent) and return the URL the clip will carry."""
        ...

    async def put_stream(
        self, key: str, chunks: AsyncIterable[bytes], backend: BackendName
    ) -> StoredVideo:
        """Store a video as it streams in (hashing as it goes); idempotent like `put`."""
        ...

    async def put_file(self, key: str, path: Path, backend: BackendName) -> StoredVideo:
        """Move a finished temp file (from `scratch_file`) into place under `key`."""
        ...

    def scratch_file(self, suffix: str = ".mp4") -> contextlib.AbstractContextManager[Path]:
        """A temp path on the store's own disk (so `put_file` can rename it), removed after."""
        ...

    async def find(self, key: str, backend: BackendName) -> StoredVideo | None:
        """The video already stored under `key`, if any."""
        ...



def write_atomically(path: Path, data: bytes) -> None:
    """Temp file, fsync, rename: readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalVideoStore:
    def __init__(self, root_dir: Path, public_base_url: str | None = None) -> None:
        self.root_dir = Path(root_dir).resolve()
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None

    def url_for(self, key: str) -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/{key}"
        return self._path(key).as_uri()

    async def put(self, key: str, data: bytes, backend: BackendName) -> StoredVideo:
        return await asyncio.to_thread(self._put, key, data, backend)

    async def find(self, key: str, backend: BackendName) -> StoredVideo | None:
        return await asyncio.to_thread(self._find, key, backend)

    def _path(self, key: str) -> Path:
        path = (self.root_dir / key).resolve()
        if not path.is_relative_to(self.root_dir):
            raise non_retryable(f"Storage key {key!r} leaves the store's folder.", INVALID_INPUT)
        return path

    async def put_stream(
        self, key: str, chunks: AsyncIterable[bytes], backend: BackendName
    ) -> StoredVideo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with self.scratch_file() as tmp:
            with tmp.open("wb") as handle:
                async for chunk in chunks:
                    handle.write(chunk)  # page cache: microseconds per chunk
                    digest.update(chunk)
                    size += len(chunk)
                handle.flush()
                await asyncio.to_thread(os.fsync, handle.fileno())
            os.replace(tmp, path)
        return self._stored(key, digest.hexdigest(), size, backend)

    async def put_file(self, key: str, path: Path, backend: BackendName) -> StoredVideo:
        return await asyncio.to_thread(self._put_file, key, Path(path), backend)

    @contextlib.contextmanager
    def scratch_file(self, suffix: str = ".mp4") -> Iterator[Path]:
        scratch = self.root_dir / ".incoming"
        scratch.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=scratch, suffix=suffix)
        os.close(fd)
        try:
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def _put(self, key: str, data: bytes, backend: BackendName) -> StoredVideo:
        write_atomically(self._path(key), data)
        return self._stored(key, hashlib.sha256(data).hexdigest(), len(data), backend)

    def _put_file(self, key: str, source: Path, backend: BackendName) -> StoredVideo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, path)
        return self._record(key, path, backend)

    def _find(self, key: str, backend: BackendName) -> StoredVideo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return self._record(key, path, backend)

    def _record(self, key: str, path: Path, backend: BackendName) -> StoredVideo:
        """A stored file's record, hashed in chunks (never read whole)."""
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
        return self._stored(key, digest.hexdigest(), path.stat().st_size, backend)

    def _stored(self, key: str, sha256: str, size: int, backend: BackendName) -> StoredVideo:
        return StoredVideo(url=self.url_for(key), sha256=sha256, size_bytes=size,
                           backend=backend)
