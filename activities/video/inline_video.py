"""Pull the inline video out of a Vertex operation's JSON while it streams by.

Veo returns a video it did not write to Cloud Storage as base64 inside the finished
operation (`response.videos[0].bytesBase64Encoded`): about 67 MB of JSON for a 50 MB
video. Parsing that JSON whole (as google-genai does) holds the text, the decoded
bytes and the SDK's objects at once. `InlineVideoDecoder` is fed the body chunk by
chunk and hands back decoded video bytes as they arrive, so memory stays at one chunk;
everything around the video (bounded) is kept, and `operation()` is that JSON with the
video left empty, for the status fields.
"""

from __future__ import annotations

import base64
import binascii
import json

FIELD = b'"bytesBase64Encoded"'
SKELETON_LIMIT = 1 << 20  # JSON kept around the video: plenty for names, errors, URIs


class InlineVideoError(ValueError):
    """The body is not the operation JSON this decoder understands."""


class InlineVideoDecoder:
    """Feed the body with `feed(chunk)`; each call returns the video bytes it decoded."""

    def __init__(self, *, skip_video: bool = False) -> None:
        self._skip = skip_video  # a status check: find the video's end, decode nothing
        self._state = "seek"  # seek -> colon -> quote -> value -> after
        self._carry = b""  # seek: a tail that may start the field; value: undecoded base64
        self._head = bytearray()  # the JSON before the video's value
        self._tail = bytearray()  # the JSON after it
        self._pending = b""  # base64 characters short of a 4-character group
        self.video_bytes = 0

    @property
    def found(self) -> bool:
        """True once the video's value has started."""
        return self._state in ("value", "after")

    def feed(self, chunk: bytes) -> bytes:
        out = bytearray()
        data = self._carry + chunk
        self._carry = b""
        while data:
            if self._state == "seek":
                at = data.find(FIELD)
                if at < 0:
                    keep = len(FIELD) - 1  # the field's name may straddle two chunks
                    self._keep(self._head, data[: max(0, len(data) - keep)])
                    self._carry = data[max(0, len(data) - keep):]
                    break
                self._keep(self._head, data[: at + len(FIELD)])
                data, self._state = data[at + len(FIELD):], "colon"
            elif self._state in ("colon", "quote"):
                data = data.lstrip()
                if not data:
                    break
                wanted = b":" if self._state == "colon" else b'"'
                if data[:1] != wanted:
                    raise InlineVideoError(f"expected {wanted.decode()} in the operation JSON")
                self._keep(self._head, data[:1])
                data = data[1:]
                self._state = "quote" if self._state == "colon" else "value"
            elif self._state == "value":
                end = data.find(b'"')
                value = data if end < 0 else data[:end]
                if end < 0 and value.endswith(b"\\"):  # an escape split across chunks
                    value, self._carry = value[:-1], b"\\"
                if not self._skip:
                    out += self._decode(value.replace(b"\\/", b"/"), final=end >= 0)
                if end < 0:
                    break
                self._keep(self._tail, data[end:])
                data, self._state = b"", "after"
            else:
                self._keep(self._tail, data)
                break
        self.video_bytes += len(out)
        return bytes(out)

    def operation(self) -> dict:
        """The operation JSON with the video's value empty (the whole JSON if there was none)."""
        if self._state in ("colon", "quote", "value"):
            raise InlineVideoError("the operation JSON ended inside the video")
        rest = self._tail if self._state == "after" else self._carry
        text = bytes(self._head) + bytes(rest)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InlineVideoError(f"the operation JSON does not parse ({exc})") from None

    def _decode(self, value: bytes, *, final: bool) -> bytes:
        pending = self._pending + value
        cut = len(pending) if final else len(pending) - len(pending) % 4
        self._pending = pending[cut:]
        try:
            return base64.b64decode(pending[:cut], validate=True)
        except binascii.Error as exc:
            raise InlineVideoError(f"the inline video is not base64 ({exc})") from None

    @staticmethod
    def _keep(into: bytearray, data: bytes) -> None:
        if len(into) + len(data) > SKELETON_LIMIT:
            raise InlineVideoError(
                f"more than {SKELETON_LIMIT} bytes of operation JSON around the video")
        into += data
