"""Google credentials for tests: a service-account key file the emulator's token endpoint
refuses (signed by a private key it never issued), for "wrong credentials" scenarios in
project mode."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def write_unknown_service_account_key(veo, path: str | Path) -> Path:
    """A well-formed key file for `veo`'s project whose private key Google does not know."""
    path = Path(veo.write_service_account_key(path))
    key = json.loads(path.read_text())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key["private_key"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    path.write_text(json.dumps(key))
    return path
