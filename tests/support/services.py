"""Session fixtures for the throwaway servers; CI (PITSTOP_TEST_REQUIRE_SERVICES=1) fails
rather than skips when one cannot start, so a green CI always means both databases ran."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.support.servers import PostgresServer, RedisServer, ServiceUnavailable


def require_or_skip(reason: str) -> NoReturn:
    if os.environ.get("PITSTOP_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required test service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except ServiceUnavailable as exc:
        require_or_skip(str(exc))
    try:
        server.start()
    except ServiceUnavailable as exc:
        server.stop()
        require_or_skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer()
    except ServiceUnavailable as exc:
        require_or_skip(str(exc))
    try:
        server.start()
    except ServiceUnavailable as exc:
        server.cleanup()
        require_or_skip(str(exc))
    try:
        yield server
    finally:
        server.cleanup()
