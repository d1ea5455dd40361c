"""End users' words encrypted at rest in Temporal: a payload codec with rotating keys.

Everything the chatbot forwards (instructions, conversations, prompts, the planner's
reasoning, failure messages) travels as Temporal payloads. With RETAKE_ENCRYPTION_KEYS
(or RETAKE_ENCRYPTION_KEYS_FILE) set, every client and worker Retake builds encrypts each
payload with AES-256-GCM (the `cryptography` library; a fresh 96-bit nonce per payload,
the key id in the payload's metadata), and the failure converter encodes messages and
stack traces too, as temporalio/samples-python `encryption/` does. The first key
encrypts; every listed key decrypts, so keys rotate without stopping anything
(docs/operations.md, "Encryption keys"). Unset: payloads are not encrypted, and the
worker says so when it starts.

Keys are secrets: they are read from the environment or a file, never put in an input,
result, log line or error; an error names a key by its id, or by its place in the list
when it cannot be read.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEYS_ENV, KEYS_FILE_ENV = "RETAKE_ENCRYPTION_KEYS", "RETAKE_ENCRYPTION_KEYS_FILE"
NONCE_BYTES = 12


class EncryptionKeyError(ValueError):
    """The configured keys cannot be used: said at start, with what to do."""


def parse_keys(text: str) -> dict[str, AESGCM]:
    """`id:base64-of-32-bytes` pairs, comma-separated, the first one current (ordered)."""
    keys: dict[str, AESGCM] = {}
    for n, item in enumerate(part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise EncryptionKeyError(
                f"encryption key {n + 1} is not 'key-id:base64-of-32-bytes'. Generate one "
                "with: python -c \"import os,base64;print('k1:'+base64.b64encode("
                "os.urandom(32)).decode())\""
            )
        # A key that cannot be read is named by its place in the list, not by what stands
        # before its ':', which may be the key itself (written the wrong way round).
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionKeyError(f"encryption key {n + 1} is not valid base64 after "
                                     "its 'key-id:'") from None
        if len(raw) != 32:
            raise EncryptionKeyError(
                f"encryption key {n + 1} is {len(raw)} bytes; AES-256 needs exactly 32 "
                "(written 'key-id:base64-of-32-bytes', the id first)"
            )
        if key_id in keys:
            raise EncryptionKeyError(f"encryption key id {key_id!r} is listed twice")
        keys[key_id] = AESGCM(raw)
    if not keys:
        raise EncryptionKeyError(f"{KEYS_ENV} is set but lists no key")
    return keys


def keys_from_environment(env: Mapping[str, str] | None = None) -> dict[str, AESGCM] | None:
    """The keyring from RETAKE_ENCRYPTION_KEYS or the file RETAKE_ENCRYPTION_KEYS_FILE names;
    None when neither is set (no encryption)."""
    env = os.environ if env is None else env
    text, file = env.get(KEYS_ENV, "").strip(), env.get(KEYS_FILE_ENV, "").strip()
    if text and file:
        raise EncryptionKeyError(f"set {KEYS_ENV} or {KEYS_FILE_ENV}, not both")
    if file:
        try:
            text = Path(file).read_text().strip()
        except OSError as exc:
            raise EncryptionKeyError(
                f"{KEYS_FILE_ENV} names {file}, which cannot be read ({exc.strerror})"
            ) from None
    return parse_keys(text) if text else None


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole serialized payload; the first key encrypts."""

    def __init__(self, keys: Mapping[str, AESGCM]) -> None:
        if not keys:
            raise EncryptionKeyError("an encryption codec needs at least one key")
        self._keys = dict(keys)
        self.current_key_id = next(iter(self._keys))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key = self._keys[self.current_key_id]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = key.encrypt(nonce, payload.SerializeToString(), None)
            out.append(Payload(
                metadata={"encoding": ENCODING, KEY_ID: self.current_key_id.encode()},
                data=nonce + sealed,
            ))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was turned on
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            key = self._keys.get(key_id)
            if key is None:
                raise EncryptionKeyError(
                    f"a payload is encrypted with key {key_id!r}, which this process does "
                    f"not have: add it to {KEYS_ENV} (keep retired keys while any history "
                    "still holds payloads under them)"
                )
            data = payload.data
            out.append(Payload.FromString(key.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None)))
        return out


def with_encryption(converter: DataConverter, keys: Mapping[str, AESGCM] | None) -> DataConverter:
    """`converter` encrypting payloads and failure messages with `keys` (None: unchanged)."""
    if not keys:
        return converter
    return replace(
        converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def describe(keys: Mapping[str, AESGCM] | None) -> str:
    """For the worker's start line."""
    if not keys:
        return f"payloads: NOT encrypted ({KEYS_ENV} unset)"
    return f"payloads: encrypted (AES-256-GCM, current key {next(iter(keys))!r}, {len(keys)} keys)"
