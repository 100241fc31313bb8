"""Integration keys, the platform operator, custom roles and the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from pitstop.identity.models import User
from tests.support.demo import PASSWORD_HASH, Demo


async def test_api_key_is_shown_once_works_and_can_be_revoked(demo: Demo) -> None:
    admin = await demo.headers()
    # When the HQ admin creates a key that may only read stores
    created = await demo.client.post(
        "/api/v1/api-keys",
        headers=admin,
        json={"name": "BI export", "permissions": ["stores:read"]},
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("psk_")
    as_key = {"Authorization": f"Bearer {key}"}
    # Then the key reads stores but nothing else
    assert (await demo.client.get("/api/v1/stores", headers=as_key)).status_code == 200
    assert (await demo.client.get("/api/v1/staff", headers=as_key)).status_code == 403
    # And the list never shows the secret
    listed = await demo.client.get("/api/v1/api-keys", headers=admin)
    assert key not in listed.text and "key" not in listed.json()["items"][0]
    # When revoked, it stops working
    revoke = await demo.client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin)
    assert revoke.status_code == 204
    assert (await demo.client.get("/api/v1/stores", headers=as_key)).status_code == 401
    # And both events are audited
    audit = await demo.client.get("/api/v1/audit?resource=api_key", headers=admin)
    assert [e["action"] for e in audit.json()["items"]] == ["api_key.created", "api_key.revoked"]


async def test_api_key_cannot_exceed_its_creator(demo: Demo) -> None:
    admin = await demo.headers()
    # When a key asks for a permission that does not exist, or for more than the creator has
    unknown = await demo.client.post(
        "/api/v1/api-keys", headers=admin, json={"name": "x", "permissions": ["teleport:use"]}
    )
    # Then it is refused naming the field
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "permissions"
    # Given a custom role that may manage keys but not read staff
    role = await demo.client.post(
        "/api/v1/roles",
        headers=admin,
        json={
            "name": "integrator",
            "permissions": ["api_keys:manage", "stores:read"],
            "store_scoped": False,
        },
    )
    assert role.status_code == 201
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={"email": "int@demo-chain.example", "name": "Integrator", "role": "integrator"},
    )
    assert hired.status_code == 201, hired.text
    async with demo.runtime.sessions() as session, session.begin():
        user = (
            await session.scalars(select(User).where(User.email == "int@demo-chain.example"))
        ).one()
        user.password_hash = PASSWORD_HASH
    integrator = {"Authorization": f"Bearer {await demo.token('int@demo-chain.example')}"}
    # When that person asks for a key with staff:manage
    beyond = await demo.client.post(
        "/api/v1/api-keys",
        headers=integrator,
        json={"name": "sneaky", "permissions": ["staff:manage"]},
    )
    # Then it is refused
    assert beyond.status_code == 422
    assert beyond.json()["code"] == "permission_exceeds_creator"


async def test_platform_operator_manages_tenants_but_reads_no_tenant_data(demo: Demo) -> None:
    # Given a platform operator
    async with demo.runtime.sessions() as session, session.begin():
        session.add(
            User(
                email="ops@pitstop.example",
                name="Ops",
                platform_admin=True,
                password_hash=PASSWORD_HASH,
            )
        )
    ops = {"Authorization": f"Bearer {await demo.token('ops@pitstop.example', tenant=None)}"}
    # When it lists tenants and suspends the shop
    tenants = await demo.client.get("/api/v1/platform/tenants", headers=ops)
    assert {t["slug"] for t in tenants.json()["items"]} == {"demo-chain", "demo-shop"}
    shop_token = await demo.token("owner@demo-shop.example", tenant="demo-shop")
    suspended = await demo.client.post("/api/v1/platform/tenants/demo-shop/suspend", headers=ops)
    assert suspended.json()["status"] == "suspended"
    shop = await demo.client.get(
        "/api/v1/stores", headers={"Authorization": f"Bearer {shop_token}"}
    )
    assert shop.status_code == 403 and shop.json()["code"] == "tenant_suspended"
    # Then the operator's token reads no tenant's staff, stores or audit
    for path in ("/api/v1/staff", "/api/v1/stores", "/api/v1/audit"):
        assert (await demo.client.get(path, headers=ops)).status_code == 403
    # And tenant staff cannot use the platform routes
    admin = await demo.headers()
    assert (await demo.client.get("/api/v1/platform/tenants", headers=admin)).status_code == 403


async def test_staff_changes_are_audited_and_listed(demo: Demo) -> None:
    admin = await demo.headers()
    staff = await demo.client.get("/api/v1/staff?limit=3", headers=admin)
    assert staff.status_code == 200, staff.text
    body = staff.json()
    # Then staff lists are keyset-paginated with e-mails
    assert len(body["items"]) == 3 and body["next"]
    rest = await demo.client.get(f"/api/v1/staff?limit=200&after={body['next']}", headers=admin)
    assert len(body["items"]) + len(rest.json()["items"]) == 7
    assert all("@" in item["email"] for item in body["items"])
    # When someone else's role changes (demoting oneself would lose audit:read)
    everyone = body["items"] + rest.json()["items"]
    target = next(i["id"] for i in everyone if i["email"] == "tech.sh001@demo-chain.example")
    changed = await demo.client.patch(
        f"/api/v1/staff/{target}", headers=admin, json={"role": "hq_analyst"}
    )
    assert changed.status_code == 200 and changed.json()["role"] == "hq_analyst"
    # Then it is audited as staff.changed
    audit = await demo.client.get("/api/v1/audit?action=staff.changed", headers=admin)
    assert audit.json()["items"][-1]["resource_id"] == target


async def test_bad_staff_input_names_the_field(demo: Demo) -> None:
    admin = await demo.headers()
    cases = [
        ({"email": "x@y.example", "name": "X", "role": "janitor"}, "role"),
        ({"email": "not-mail", "name": "X", "role": "technician"}, "email"),
        (
            {
                "email": "x@y.example",
                "name": "X",
                "role": "technician",
                "stores": ["00000000-0000-0000-0000-000000000001"],
            },
            "stores[0]",
        ),
    ]
    for body, field in cases:
        response = await demo.client.post("/api/v1/staff", headers=admin, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field


async def test_invite_sets_a_password_once(demo: Demo) -> None:
    admin = await demo.headers()
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={
            "email": "new@demo-chain.example",
            "name": "New",
            "role": "technician",
            "stores": [await demo.store_id()],
        },
    )
    invite = await demo.client.post(f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin)
    token = invite.json()["token"]
    body = {"tenant": "demo-chain", "token": token, "password": "a-new-long-password"}
    # When the invite is redeemed twice
    first = await demo.client.post("/api/v1/auth/set-password", json=body)
    second = await demo.client.post("/api/v1/auth/set-password", json=body)
    # Then the first sets the password and the second is refused
    assert first.status_code == 204 and second.status_code == 401
    login = await demo.client.post(
        "/api/v1/auth/token",
        json={
            "tenant": "demo-chain",
            "email": "new@demo-chain.example",
            "password": "a-new-long-password",
        },
    )
    assert login.status_code == 200


async def test_a_custom_staff_clerk_sees_staff_personal_data_masked(demo: Demo) -> None:
    # Given a custom role that may manage staff but has no masking policy of its own
    admin = await demo.headers()
    role = await demo.client.post(
        "/api/v1/roles",
        headers=admin,
        json={"name": "hr_clerk", "permissions": ["staff:manage"], "store_scoped": False},
    )
    assert role.status_code == 201
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={"email": "hr@demo-chain.example", "name": "欧阳娜娜", "role": "hr_clerk"},
    )
    assert hired.status_code == 201
    async with demo.runtime.sessions() as session, session.begin():
        user = (
            await session.scalars(select(User).where(User.email == "hr@demo-chain.example"))
        ).one()
        user.password_hash = PASSWORD_HASH
    clerk = {"Authorization": f"Bearer {await demo.token('hr@demo-chain.example')}"}
    # When the clerk lists staff and hires someone (masked staff can still create records)
    listed = await demo.client.get("/api/v1/staff?limit=200", headers=clerk)
    created = await demo.client.post(
        "/api/v1/staff",
        headers=clerk,
        json={
            "email": "new@demo-chain.example",
            "name": "新人",
            "role": "technician",
            "stores": [await demo.store_id()],
        },
    )
    # Then every e-mail and name is masked for the clerk, and shown in full to HQ's admin
    assert listed.status_code == 200 and created.status_code == 201
    me = next(s for s in listed.json()["items"] if s["email"].startswith("h***"))
    assert (me["email"], me["name"]) == ("h***@demo-chain.example", "欧阳**")
    assert all("***" in s["email"] for s in listed.json()["items"])
    assert created.json()["email"] == "n***@demo-chain.example"
    full = await demo.client.get("/api/v1/staff?limit=200", headers=admin)
    assert "hr@demo-chain.example" in [s["email"] for s in full.json()["items"]]
