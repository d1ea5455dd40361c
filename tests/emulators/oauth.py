"""The emulator's OAuth 2.0 token endpoint for google-auth's service-account flow.

google-auth (google/oauth2/service_account.py `_make_authorization_grant_assertion`,
google/oauth2/_client.py `jwt_grant`) POSTs form data `grant_type=
urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>` to the key file's
`token_uri`; the JWT carries iss=<client_email>, aud=https://oauth2.googleapis.com/token,
iat, exp (iat + 3600), scope. RFC 7523 section 3 lists the checks made here. Errors are
OAuth 2.0 bodies (RFC 6749 section 5.2: {"error", "error_description"}), which
google-auth's `_can_retry` reads: 5xx/429 and server_error/temporarily_unavailable are
retryable for it, invalid_grant is not.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # what google-auth puts in aud
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
MAX_ASSERTION_LIFETIME = 3600  # Google: "Token must be a short-lived token (60 minutes)"
CLOCK_SKEW = 300


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class ServiceAccount:
    client_email: str
    key_id: str
    private_key: rsa.RSAPrivateKey
    project_id: str

    def key_file(self, token_uri: str) -> dict[str, Any]:
        """The JSON key file Google issues for a service account, pointed at `token_uri`."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.key_id,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": str(int(self.key_id[:12], 16)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + self.client_email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }


@dataclass
class IssuedToken:
    client_email: str
    scope: str
    expires_at: float  # time.time()


@dataclass
class TokenAuthority:
    """Service accounts the emulator knows and the access tokens it issued."""

    lifetime_seconds: int = 3599
    accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def create_account(self, project_id: str, name: str = "retake-worker") -> ServiceAccount:
        email = f"{name}@{project_id}.iam.gserviceaccount.com"
        if email not in self.accounts:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.accounts[email] = ServiceAccount(email, secrets.token_hex(20), key, project_id)
        return self.accounts[email]

    def exchange(self, form: dict[str, str], token_uri: str, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        if form.get("grant_type") != JWT_BEARER:
            raise OAuthError(400, "unsupported_grant_type",
                             f"Invalid grant_type: {form.get('grant_type') or ''}")
        claims = self._verify(form.get("assertion") or "", token_uri, now)
        scopes = str(claims.get("scope") or "").split()
        if CLOUD_PLATFORM_SCOPE not in scopes:
            raise OAuthError(400, "invalid_scope",
                             "Invalid OAuth scope or ID token audience provided.")
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        self.tokens[token] = IssuedToken(claims["iss"], " ".join(scopes),
                                         now + self.lifetime_seconds)
        return {"access_token": token, "expires_in": self.lifetime_seconds,
                "token_type": "Bearer"}

    def check(self, token: str, now: float | None = None) -> str | None:
        """None when `token` is valid; otherwise "unknown" or "expired"."""
        issued = self.tokens.get(token)
        if issued is None:
            return "unknown"
        if (time.time() if now is None else now) >= issued.expires_at:
            return "expired"
        return None

    def expire_all(self) -> None:
        for issued in self.tokens.values():
            issued.expires_at = 0.0

    def _verify(self, assertion: str, token_uri: str, now: float) -> dict[str, Any]:
        bad = OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion.")
        try:
            header, claims = (json.loads(_b64decode(p)) for p in parts[:2])
            signature = _b64decode(parts[2])
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion.") from exc
        if header.get("alg") != "RS256":
            raise bad
        account = self.accounts.get(str(claims.get("iss")))
        if account is None:
            raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        if header.get("kid") not in (None, account.key_id):
            raise bad
        try:
            account.private_key.public_key().verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise bad from exc
        if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, token_uri):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: audience is not the token URI.")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not (isinstance(iat, int) and isinstance(exp, int)) or exp <= now or \
                iat > now + CLOCK_SKEW or exp - iat > MAX_ASSERTION_LIFETIME:
            raise OAuthError(400, "invalid_grant",
                             "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                             "a reasonable timeframe. Check your iat and exp values in the JWT "
                             "claim.")
        return claims


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def write_key_file(account: ServiceAccount, token_uri: str, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(account.key_file(token_uri), indent=2))
    path.chmod(0o600)
    return path
