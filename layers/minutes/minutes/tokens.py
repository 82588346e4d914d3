"""Signed tokens for subscription links: bound to a purpose and an address, HMAC-SHA256,
compared in constant time. Unsubscribe tokens never expire (old emails must keep working)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from .problems import MinutesError

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"   # the purposes a subscription link has


class InvalidLink(MinutesError):
    """A link whose token is forged, garbled, made for something else, or expired."""

    def __init__(self, purpose: str, *, expired: bool):
        super().__init__(f"{'expired' if expired else 'invalid'} {purpose} link")
        self.purpose, self.expired = purpose, expired


class InvalidToken(Exception):
    """Forged, garbled, expired, or made for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: str, *, purpose: str, email: str, expires_at: int | None = None) -> str:
    payload = f"{purpose}\n{email}\n{expires_at or ''}".encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def read_token(secret: str, token: str, *, purpose: str, now: float | None = None) -> str:
    """The address the token was made for, or InvalidToken."""
    try:
        payload_part, mac_part = token.split(".")
        payload, mac = _unb64(payload_part), _unb64(mac_part)
        wanted = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, wanted):
            raise InvalidToken("signature does not match")
        token_purpose, email, expires = payload.decode().split("\n")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("garbled token") from exc
    if token_purpose != purpose:
        raise InvalidToken("token made for another purpose")
    if expires and int(expires) < (now if now is not None else time.time()):
        raise InvalidToken("token expired")
    return email
