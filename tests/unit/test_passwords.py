"""Password hashes: production strength, and an unknown user's login costs a known one's."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters, profiles

from pitstop.identity.passwords import DUMMY_HASH, hash_password, verify_password
from tests.support.demo import PASSWORD, PASSWORD_HASH


def test_a_password_is_hashed_with_rfc_9106_parameters() -> None:
    # When a password is hashed
    made = extract_parameters(hash_password(PASSWORD))
    # Then it is argon2id at RFC 9106's low-memory profile (the tests' cheap hashes are theirs)
    wanted = profiles.RFC_9106_LOW_MEMORY
    assert (made.type, made.memory_cost, made.time_cost, made.parallelism) == (
        wanted.type,
        wanted.memory_cost,
        wanted.time_cost,
        wanted.parallelism,
    )


def test_the_unknown_users_hash_costs_what_a_real_one_does_and_matches_nothing() -> None:
    # Given the written-out hash an unknown user's login is checked against
    # Then it has the hasher's own parameters, so checking it takes as long as a real check
    assert not PasswordHasher().check_needs_rehash(DUMMY_HASH)
    # And no password opens an unknown user, not even the one it was made from
    assert not verify_password(None, "pitstop-timing-equaliser")
    assert not verify_password(None, PASSWORD)


def test_the_tests_cheap_hash_is_checked_by_the_real_verifier() -> None:
    # Given the tests' demo hash, argon2id at its cheapest parameters
    assert extract_parameters(PASSWORD_HASH).memory_cost < profiles.RFC_9106_LOW_MEMORY.memory_cost
    # Then production's verifier accepts its password and nothing else
    assert verify_password(PASSWORD_HASH, PASSWORD)
    assert not verify_password(PASSWORD_HASH, PASSWORD + "x")
    assert not verify_password("not-a-hash", PASSWORD)
