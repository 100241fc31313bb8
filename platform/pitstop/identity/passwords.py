"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$nUvRUv3IgS4wRiZqNmMDbA"
    "$O5p0jW0Z/OVBTxH698Z5EF2qxkbBhRdkXcsoU19FSTc"
)
"""What an unknown user's login is checked against, so it costs what a known one's does.
Written out rather than hashed at import: a hash costs 0.2-0.6 s, which every ``pitstop``
command and worker paid at start-up. Its parameters are the hasher's (a unit test holds
them equal), and nothing can match it (:func:`verify_password` requires a real hash)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time whether or not the user exists: unknown users hash a dummy."""
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
