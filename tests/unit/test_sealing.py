"""Write-only plugin settings sealed at rest with a per-tenant key."""

from __future__ import annotations

import uuid

from pitstop.tenancy.sealing import PREFIX, Sealer, is_secret

A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def test_a_secret_is_sealed_and_opens_only_for_its_tenant_and_field() -> None:
    sealer = Sealer("deployment-key")
    # Given a secret sealed for tenant A's access_key_secret
    sealed = sealer.seal(A, "access_key_secret", "s3cr3t")
    # Then the stored text is not the secret, and opens back for A, that field
    assert sealed.startswith(PREFIX) and "s3cr3t" not in sealed
    assert sealer.open(A, "access_key_secret", sealed) == "s3cr3t"
    # But not for tenant B, another field, or another deployment's key: empty, never raised
    assert sealer.open(B, "access_key_secret", sealed) == ""
    assert sealer.open(A, "secret", sealed) == ""
    assert Sealer("another-key").open(A, "access_key_secret", sealed) == ""
    # And a value stored before sealing existed reads as it is
    assert sealer.open(A, "secret", "legacy-plain") == "legacy-plain"


def test_only_changed_secrets_are_resealed() -> None:
    sealer = Sealer("deployment-key")
    stored = {"secret": sealer.seal(A, "secret", "one"), "url": "https://a"}
    opened = sealer.open_all(A, stored)
    assert opened == {"secret": "one", "url": "https://a"}
    # When only the url changes, the stored ciphertext is kept as it was
    kept = sealer.seal_changed(A, {**opened, "url": "https://b"}, opened, stored)
    assert kept["secret"] == stored["secret"] and kept["url"] == "https://b"
    # When the secret changes, it is sealed anew
    new = sealer.seal_changed(A, {**opened, "secret": "two"}, opened, stored)
    assert new["secret"] != stored["secret"] and sealer.open(A, "secret", new["secret"]) == "two"
    assert is_secret("secret") and is_secret("access_key_secret") and not is_secret("secrets")
