"""Tencent Cloud API 3.0's request signature, TC3-HMAC-SHA256 (the signer's half).

The steps Tencent documents ("Signature v3"): a canonical request - method, ``/``, an
empty query (a POST carries everything in its JSON body), the signed headers as
``name:value`` lines (lower-case names, the action's value lower-cased), their names
joined by ``;``, and the lower-case hex SHA-256 of the body - is hashed into the string to
sign: ``TC3-HMAC-SHA256``, the Unix timestamp, the credential scope
``<UTC date>/<service>/tc3_request`` and that hash, one per line. The signing key is
derived by HMAC-SHA256 chaining ``"TC3" + SecretKey`` over the date, the service and
``tc3_request``; the signature is the hex HMAC of the string to sign under it. The
tests' fake server checks it with an implementation of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"


@dataclass(frozen=True)
class Credentials:
    secret_id: str
    secret_key: str


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scope(timestamp: int, service: str) -> str:
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    return f"{day}/{service}/tc3_request"


def canonical_request(host: str, action: str, payload: bytes) -> str:
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    return "\n".join(["POST", "/", "", headers, SIGNED_HEADERS, _sha256_hex(payload)])


def authorization(
    credentials: Credentials,
    *,
    service: str,
    host: str,
    action: str,
    payload: bytes,
    timestamp: int,
) -> str:
    """The ``Authorization`` header's value for one POST of ``payload``."""
    credential_scope = scope(timestamp, service)
    to_sign = "\n".join(
        [
            ALGORITHM,
            str(timestamp),
            credential_scope,
            _sha256_hex(canonical_request(host, action, payload).encode()),
        ]
    )
    key = _hmac(f"TC3{credentials.secret_key}".encode(), credential_scope.split("/")[0])
    key = _hmac(_hmac(key, service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{ALGORITHM} Credential={credentials.secret_id}/{credential_scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
