"""Aliyun's RPC request signature (signature version 1.0, HMAC-SHA1), both halves.

From the provider's "signature method" page: sort every parameter except ``Signature`` by
name; percent-encode names and values (RFC 3986: only ``A-Za-z0-9-_.~`` left as they are,
a space as ``%20``, never ``+``); join as ``k=v`` with ``&``; the string to sign is
``<METHOD>&%2F&<percent-encoded canonical query>``; the signature is
Base64(HMAC-SHA1(``<AccessKey secret>&``, that string)). :func:`verify` is the provider's
half, used by the tests' fake dysmsapi server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    digest = hmac.new(
        f"{access_key_secret}&".encode(),
        string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def verify(method: str, params: Mapping[str, str], access_key_secret: str) -> bool:
    """True when ``params["Signature"]`` signs the other parameters with the secret."""
    expected = sign(method, params, access_key_secret)
    return hmac.compare_digest(expected, params.get("Signature", ""))
