"""Signing and verifying webhook requests (the receiver's half is :func:`verify`).

The signed text is ``<timestamp>.<raw body>``: signing the timestamp with the body is what
makes the replay window enforceable - an old request cannot be re-sent with a fresh time.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Pitstop-Signature"
REPLAY_WINDOW_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, now: float, window_s: int = REPLAY_WINDOW_S
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within ``window_s`` of ``now``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > window_s:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)
