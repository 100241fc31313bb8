"""One access-log line per request: request id, tenant slug, route template, status, time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from tests.support.demo import Demo

PHONE = "13912340077"


@contextmanager
def captured_info() -> Iterator[list[dict[str, Any]]]:
    """Capture at INFO: the test settings log WARNING and up only."""
    previous = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(wrapper_class=previous)


def _access_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("event") == "request"]


async def test_a_request_is_logged_by_route_template_and_echoes_its_id(demo: Demo) -> None:
    # Given a customer whose phone is personal data
    headers = await demo.headers("hq_admin")
    created = await demo.client.post(
        "/api/v1/customers", json={"name": "王五", "phone": PHONE}, headers=headers
    )
    customer_id = created.json()["id"]
    # When it is read with a request id of the client's choosing
    with captured_info() as logs:
        response = await demo.client.get(
            f"/api/v1/customers/{customer_id}", headers={**headers, "X-Request-ID": "desk-42.7"}
        )
    # Then the id comes back, and one line names the tenant, the route template and the status
    assert response.headers["x-request-id"] == "desk-42.7"
    [line] = _access_lines(logs)
    assert line["request_id"] == "desk-42.7"
    assert line["tenant"] == "demo-chain"
    assert line["route"] == "/api/v1/customers/{customer_id}"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert isinstance(line["duration_ms"], float)
    # And it carries no id from the path, no phone and no token
    text = repr(line)
    assert customer_id not in text and PHONE[-4:] not in text
    assert headers["Authorization"].split()[1] not in text


async def test_an_unsafe_request_id_is_replaced_and_unknown_routes_are_logged(demo: Demo) -> None:
    # When a request id carries a phone number and a line break, on a path that matches nothing
    with captured_info() as logs:
        response = await demo.client.get(
            "/api/v1/nothing-here", headers={"X-Request-ID": f"{PHONE} forged"}
        )
    # Then a fresh id is used and echoed, and the 404 is logged without a route or tenant
    echoed = response.headers["x-request-id"]
    assert PHONE not in echoed and len(echoed) == 32
    [line] = _access_lines(logs)
    assert (line["route"], line["status"], line["tenant"]) == ("-", 404, None)
    assert line["request_id"] == echoed
