"""Write-only plugin settings, sealed at rest with a key of the tenant's own.

A plugin setting named ``secret`` or ``*_secret`` (a webhook's HMAC key, an SMS provider's
AccessKey secret) is a credential: the plugins API never returns it (it shows
``********``), and the ``tenant_plugins`` row holds it encrypted, so a database dump or a
read-only replica does not hand out a tenant's provider account.

Each tenant's key is derived from the deployment's secret key with HKDF-SHA256, salted
with the tenant's id: one tenant's ciphertext does not open with another's key (a row
copied between tenants decrypts to nothing), and no key table needs backing up beside the
database. The cipher is AES-256-GCM with a random nonce; the tenant id and the setting's
name are the associated data, so a sealed value moved to another field fails to open.
Values written before sealing existed are plaintext and are read as they are; the next
change seals them. Rotating the deployment key makes sealed values unreadable (they read
as empty, the channel then fails for good and says it is not set up): re-enter them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:v1:"
_NONCE = 12


def is_secret(name: str) -> bool:
    """The naming rule the API's masking uses too."""
    return name == "secret" or name.endswith("_secret")


class Sealer:
    """Seals and opens one deployment's tenants' write-only settings."""

    def __init__(self, deployment_key: str) -> None:
        self._root = deployment_key.encode()

    def _cipher(self, tenant_id: uuid.UUID) -> AESGCM:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=tenant_id.bytes,
            info=b"pitstop tenant plugin settings",
        ).derive(self._root)
        return AESGCM(key)

    def mac(self, purpose: str, payload: bytes) -> bytes:
        """A keyed digest for links the deployment must recognise later (an unsubscribe
        link): HMAC-SHA256 under a key derived for ``purpose`` alone."""
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            self._root
        )
        return hmac.new(key, payload, hashlib.sha256).digest()

    def seal(self, tenant_id: uuid.UUID, field: str, value: str) -> str:
        if not value or value.startswith(PREFIX):
            return value
        nonce = os.urandom(_NONCE)
        box = self._cipher(tenant_id).encrypt(nonce, value.encode(), _aad(tenant_id, field))
        return PREFIX + base64.urlsafe_b64encode(nonce + box).decode()

    def open(self, tenant_id: uuid.UUID, field: str, stored: str) -> str:
        """The plaintext; a legacy plaintext value as it is; ``""`` if it does not open."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            raw = base64.urlsafe_b64decode(stored.removeprefix(PREFIX))
            plain = self._cipher(tenant_id).decrypt(
                raw[:_NONCE], raw[_NONCE:], _aad(tenant_id, field)
            )
        except (InvalidTag, ValueError):
            return ""
        return plain.decode()

    def open_all(self, tenant_id: uuid.UUID, stored: Mapping[str, Any]) -> dict[str, Any]:
        return {
            k: self.open(tenant_id, k, v) if is_secret(k) and isinstance(v, str) else v
            for k, v in stored.items()
        }

    def seal_changed(
        self,
        tenant_id: uuid.UUID,
        plain: Mapping[str, Any],
        was_plain: Mapping[str, Any],
        was_stored: Mapping[str, Any],
    ) -> dict[str, Any]:
        """``plain`` to store: a secret that did not change keeps its stored ciphertext (so
        an unrelated change does not look like a new key), a new one is sealed."""
        out: dict[str, Any] = {}
        for k, v in plain.items():
            if not is_secret(k) or not isinstance(v, str):
                out[k] = v
            elif v == was_plain.get(k) and k in was_stored:
                out[k] = self.seal(tenant_id, k, str(was_stored[k]))
            else:
                out[k] = self.seal(tenant_id, k, v)
        return out


def _aad(tenant_id: uuid.UUID, field: str) -> bytes:
    return tenant_id.bytes + field.encode()
