"""Validation errors name the field and the rule, never the submitted value (issue 11, #14).

The fields are found in the OpenAPI document itself (every enum, format and pattern field
of every request body, and every query parameter), so a field added tomorrow is covered.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.demo import Demo

PII = ["13912345678", "zhang.san@example.com", "110105199003071234"]
"""A mobile, an e-mail and a resident ID number: what a careless client puts anywhere."""


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_checked(schema: dict[str, Any]) -> bool:
    return any(key in schema for key in ("enum", "format", "pattern", "const"))


def _body_fields(doc: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(field, body carrying a PII placeholder there) for each checked field, two levels deep."""
    schema = _resolve(doc, schema)
    for option in schema.get("oneOf", schema.get("anyOf", [])):
        yield from _body_fields(doc, option)
    for name, prop in schema.get("properties", {}).items():
        options = [_resolve(doc, p) for p in prop.get("oneOf", prop.get("anyOf", [prop]))]
        for option in options:
            if _is_checked(option):
                yield name, {name: "{pii}"}
            items = _resolve(doc, option.get("items", {}))
            if _is_checked(items):
                yield f"{name}[0]", {name: ["{pii}"]}
            for sub, sub_prop in items.get("properties", {}).items():
                if any(_is_checked(_resolve(doc, p)) for p in sub_prop.get("anyOf", [sub_prop])):
                    yield f"{name}[0].{sub}", {name: [{sub: "{pii}"}]}


def _fill(template: Any, value: str) -> Any:
    if template == "{pii}":
        return value
    if isinstance(template, dict):
        return {k: _fill(v, value) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, value) for v in template]
    return template


def _path(path: str) -> str:
    """Path parameters filled: a real plugin name, else an id that exists nowhere."""
    out = path.replace("{name}", "membership")
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + str(uuid.uuid4()) + out[end + 1 :]
    return out


def _cases(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    for path, item in doc["paths"].items():
        if path.startswith("/api/v1/platform"):
            continue  # platform operators only: a tenant admin is refused before validation
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield method, _path(path), {parameter["name"]: "{pii}"}, None
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for _, template in _body_fields(doc, body["schema"]):
                    yield method, _path(path), {}, template
                yield method, _path(path), {}, {"{pii}": 1}  # an unknown key


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_no_validation_error_echoes_the_submitted_value(demo: Demo) -> None:
    # Given the API's own description of its inputs
    doc = (await demo.client.get("/schema/openapi.json")).json()
    headers = await demo.headers()
    cases = list(_cases(doc))
    assert len(cases) > 60  # the walk found the fields (a broken walk would pass vacuously)
    refused = 0
    for method, path, query, template in cases:
        for value in PII:
            # When a PII-looking value is sent in a field or parameter
            params = {k: value for k in query}
            body = None if template is None else _fill(template, value)
            if template == {"{pii}": 1}:
                body = {value: 1}
            response = await demo.client.request(
                method.upper(), path, params=params, json=body, headers=headers
            )
            # Then whatever the answer, the value is not in it
            assert value not in response.text, (method, path, query, template, response.text)
            refused += response.status_code == 422
    assert refused > len(cases)  # most of these are refused, so the errors were exercised


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_enum_error_lists_the_allowed_values(demo: Demo) -> None:
    # When a customer is created with a phone number as its region
    response = await demo.client.post(
        "/api/v1/customers",
        json={"name": "张三", "phone": "13900001111", "region": "13912345678"},
        headers=await demo.headers(),
    )
    # Then 422 naming region and the values it may take
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "region"
    assert error["message"].startswith("must be one of: ")
    assert "urban" in error["message"] and "13912345678" not in response.text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_nested_enum_and_plugin_settings_errors_name_the_rule(demo: Demo) -> None:
    headers = await demo.headers()
    # When an order line has a phone number as its kind
    order = await demo.client.post(
        "/api/v1/service-orders",
        json={
            "store_id": str(uuid.uuid4()),
            "customer_id": str(uuid.uuid4()),
            "vehicle_id": str(uuid.uuid4()),
            "lines": [
                {
                    "kind": "13912345678",
                    "category": "maintenance",
                    "description": "x",
                    "quantity": 1,
                    "unit_price": 1,
                }
            ],
        },
        headers=headers,
    )
    # Then the error names lines[0].kind and its allowed values
    assert order.status_code == 422
    [error] = order.json()["errors"]
    assert error["field"] == "lines[0].kind" and error["message"].startswith("must be one of: ")
    # And a plugin setting with an e-mail as a time zone is refused without echoing it
    settings = await demo.client.put(
        "/api/v1/plugins/membership",
        json={"enabled": True, "settings": {"timezone": "zhang.san@example.com"}},
        headers=headers,
    )
    assert settings.status_code == 422
    assert "zhang.san@example.com" not in settings.text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_free_text_checked_in_code_is_not_echoed_either(demo: Demo) -> None:
    headers = await demo.headers()
    # When a store is opened with a phone number as its time zone
    store = await demo.client.post(
        "/api/v1/stores",
        json={"code": "TZ1", "name": "x", "city": "上海", "timezone": "13912345678"},
        headers=headers,
    )
    # And a staff member is hired into a role named like an ID number
    staff = await demo.client.post(
        "/api/v1/staff",
        json={"email": "new.hire@demo-chain.example", "name": "x", "role": "id110105199003071234"},
        headers=headers,
    )
    # Then both are refused naming the field, without the value
    assert store.status_code == 422 and store.json()["errors"][0]["field"] == "timezone"
    assert "13912345678" not in store.text
    assert staff.status_code == 422 and staff.json()["errors"][0]["field"] == "role"
    assert "110105199003071234" not in staff.text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_parameter_is_named_as_the_client_spells_it(demo: Demo) -> None:
    # When the KPI report gets a "to" that is not a date (the handler calls it "end")
    response = await demo.client.get(
        "/api/v1/complaints/kpis?to=13912345678x", headers=await demo.headers()
    )
    # Then the error names "to"
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "to", "message": "Invalid RFC3339 encoded datetime"}
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_human_parts_follow_the_readers_language(app: Any, demo: Demo) -> None:
    # Given HQ, who chose Chinese at the console, and an integration's key
    from tests.console.support import signed_in

    hq = await signed_in(app, demo, "hq_admin")
    chosen = await hq.post("/console/me/language", {"language": "zh_CN", "next": "/console/"})
    assert chosen.status_code == 303
    admin = await demo.headers("hq_admin")
    body = {"name": "对账", "permissions": ["customers:read", "customers:write"]}
    key = (await demo.client.post("/api/v1/api-keys", json=body, headers=admin)).json()
    integration = {"Authorization": f"Bearer {key['key']}"}
    # When HQ registers a customer with a phone that is not one
    bad = {"name": "张三", "phone": "12345"}
    refused = await demo.client.post("/api/v1/customers", json=bad, headers=admin)
    # Then the messages read in Chinese, and the code and the field are the API's own
    problem = refused.json()
    assert refused.status_code == 422 and refused.headers["content-language"] == "zh-CN"
    assert problem["code"] == "invalid_phone" and problem["errors"][0]["field"] == "phone"
    assert problem["errors"][0]["message"] == "不是有效的手机号码"
    assert problem["title"] == "输入有误"
    # When the key asks for a customer that is not there, in Chinese and then in nothing
    missing = f"/api/v1/customers/{uuid.uuid4()}"
    chinese = integration | {"Accept-Language": "zh-CN,en;q=0.5"}
    asked = await demo.client.get(missing, headers=chinese)
    plain = await demo.client.get(missing, headers=integration)
    # Then the first reads in Chinese, the second in English, with the same code
    assert asked.status_code == plain.status_code == 404
    assert asked.json()["detail"] == "没有这位客户" and plain.json()["detail"] == "no such customer"
    assert asked.json()["code"] == plain.json()["code"]
    # And a person who chose nothing reads the API's English
    manager = await demo.client.post("/api/v1/customers", json=bad,
                                     headers=await demo.headers("store_manager"))  # fmt: skip
    assert manager.json()["errors"][0]["message"] == "not a valid phone number"
