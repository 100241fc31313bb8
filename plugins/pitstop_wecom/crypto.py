"""WeCom's callback encryption (企业微信 回调加解密): verify ``msg_signature``, open
``Encrypt``.

WeCom signs each callback with SHA-1 over the sorted strings (the tenant's Token, the
``timestamp``, the ``nonce``, the encrypted text) and encrypts the message with AES-256-CBC
under the tenant's EncodingAESKey (43 Base64 characters: the key once ``=`` is added; the
IV is its first 16 bytes; PKCS#7 padding to 32 bytes). The plain text is 16 random bytes,
the message's length (4 bytes, big-endian), the message, and the receiving corp id - which
must be the tenant's own, so a callback sealed for another enterprise is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class BadCallback(Exception):
    """Not WeCom's, not for this tenant, or not well formed: nothing in it is trusted."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypted))).encode()).hexdigest()


def _key(aes_key: str) -> bytes:
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise BadCallback("the EncodingAESKey is not 43 Base64 characters") from None
    if len(key) != 32:
        raise BadCallback("the EncodingAESKey is not 43 Base64 characters")
    return key


def open_message(
    *, token: str, aes_key: str, corp_id: str, msg_signature: str, timestamp: str, nonce: str,
    encrypted: str,
) -> bytes:  # fmt: skip
    """The message WeCom sent, once its signature and receiver are checked."""
    expected = signature(token, timestamp, nonce, encrypted)
    if not token or not hmac.compare_digest(expected, msg_signature):
        raise BadCallback("the signature does not match")
    key = _key(aes_key)
    try:
        sealed = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise BadCallback("the message is not Base64") from None
    if not sealed or len(sealed) % 16:
        raise BadCallback("the message is not AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(sealed) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
        raise BadCallback("the padding is wrong")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    message, receiver = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or receiver.decode(errors="replace") != corp_id:
        raise BadCallback("the message is not for this enterprise")
    return message
