"""Huge request heads get an HTTP answer, not a connection reset (issue 11, #8).

Against a real ``pitstop serve`` (uvicorn + h11), since the limit lives in the server.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from pitstop.http_server import MAX_REQUEST_HEAD
from pitstop.settings import Settings
from tests.support.served import served

BIG = 200_000


def _raw(base: str, request_line: str) -> tuple[int, bytes]:
    """Send one request as bytes on a fresh connection; (status, body) of the answer."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(f"{request_line}\r\nHost: test\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite"])
def test_oversized_headers_and_urls_are_answered_431_and_414(
    settings: Settings, tmp_path: Path
) -> None:
    # Given a running server
    with served(settings, tmp_path) as base, httpx.Client(base_url=base, timeout=30) as client:
        # When a request carries a 200 KB header
        headers = client.get("/health", headers={"X-Padding": "a" * BIG})
        # Then 431 problem+json
        assert headers.status_code == 431
        assert headers.headers["content-type"] == "application/problem+json"
        assert headers.json()["code"] == "headers_too_large"
        # When the URL itself is 200 KB (sent raw: HTTP clients refuse to build one)
        status, body = _raw(base, f"GET /api/v1/customers?q={'a' * BIG} HTTP/1.1")
        # Then 414 problem+json
        assert status == 414
        assert json.loads(body)["code"] == "uri_too_long"
        # And a head just under the limit, and the next request, are served as usual
        fits = client.get("/health", headers={"X-Padding": "a" * (MAX_REQUEST_HEAD - 1024)})
        assert fits.status_code == 200
        assert client.get("/health").json() == {"status": "ok"}
