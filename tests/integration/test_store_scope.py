"""Store-scoped roles fail closed (issue 12, item 2).

A store manager, advisor or technician works at named stores. Hired without any, they
must be refused; and a person of such a role who somehow has no stores (a database edit,
an old row) sees no store's records, never every store's. API keys see what their
creator sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from pitstop.access.permissions import ROLE_TEMPLATES, STORE_SCOPED_ROLES
from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import Membership, User
from pitstop.provisioning.manifests import ManifestError, load_manifest
from tests.crm.conftest import Crm
from tests.support.demo import CHAIN_LOGINS, PASSWORD_HASH, Demo

REQUIRED = "required for a store-scoped role"


@pytest.fixture
async def crm(demo: Demo) -> Crm:
    helper = Crm(demo)
    await helper.load_stores()
    return helper


def test_the_store_roles_are_store_scoped() -> None:
    assert frozenset({"store_manager", "service_advisor", "technician"}) == STORE_SCOPED_ROLES


async def _hire(crm: Crm, email: str, role: str, stores: list[str] | None) -> Any:
    body: dict[str, Any] = {"email": email, "name": "新人", "role": role}
    if stores is not None:
        body["stores"] = stores
    return await crm.demo.client.post("/api/v1/staff", headers=await crm.headers(), json=body)


@pytest.mark.parametrize("role", ROLE_TEMPLATES)
async def test_hiring_without_stores_is_refused_exactly_for_store_scoped_roles(
    crm: Crm, role: str
) -> None:
    # When HQ hires someone of this role without naming a store, or with an empty list
    missing = await _hire(crm, f"a.{role}@demo-chain.example", role, None)
    empty = await _hire(crm, f"b.{role}@demo-chain.example", role, [])
    # Then a store-scoped role is refused naming the field; another role is hired
    if role in STORE_SCOPED_ROLES:
        for response in (missing, empty):
            assert response.status_code == 422, response.text
            assert response.json()["errors"] == [{"field": "stores", "message": REQUIRED}]
    else:
        assert missing.status_code == 201, missing.text
        assert missing.json()["stores"] is None
    # And naming a store always works
    named = await _hire(crm, f"c.{role}@demo-chain.example", role, [crm.stores["SH001"]])
    assert named.status_code == 201, named.text


async def test_changing_a_membership_cannot_leave_a_store_role_without_stores(crm: Crm) -> None:
    # Given HQ's analyst (all stores) and the SH001 technician
    admin = await crm.headers()
    listed = (await crm.demo.client.get("/api/v1/staff?limit=200", headers=admin)).json()
    ids = {s["email"]: s["id"] for s in listed["items"]}
    analyst, tech = ids[CHAIN_LOGINS["hq_analyst"]], ids[CHAIN_LOGINS["technician"]]
    # When the analyst becomes a store manager without stores, or the technician loses theirs
    promoted = await crm.demo.client.patch(
        f"/api/v1/staff/{analyst}", headers=admin, json={"role": "store_manager"}
    )
    emptied = await crm.demo.client.patch(
        f"/api/v1/staff/{tech}", headers=admin, json={"stores": None}
    )
    cleared = await crm.demo.client.patch(
        f"/api/v1/staff/{tech}", headers=admin, json={"stores": []}
    )
    # Then each is refused naming the field
    for response in (promoted, emptied, cleared):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0] == {"field": "stores", "message": REQUIRED}
    # And with a store it is accepted
    moved = await crm.demo.client.patch(
        f"/api/v1/staff/{analyst}",
        headers=admin,
        json={"role": "store_manager", "stores": [crm.stores["HZ001"]]},
    )
    assert moved.status_code == 200, moved.text


async def test_custom_roles_declare_their_scope(crm: Crm) -> None:
    admin = await crm.headers()
    # When HQ defines a role without saying whether it is store-scoped
    unsaid = await crm.demo.client.post(
        "/api/v1/roles", headers=admin, json={"name": "valet", "permissions": ["stores:read"]}
    )
    # Then it is refused naming the field (in the message until errors carry JSON paths)
    assert unsaid.status_code == 422, unsaid.text
    assert "store_scoped" in str(unsaid.json()["errors"][0])
    # When it says so, the role is store-scoped and its people need a store
    for name, scoped in (("valet", True), ("auditor", False)):
        role = await crm.demo.client.post(
            "/api/v1/roles",
            headers=admin,
            json={"name": name, "permissions": ["stores:read"], "store_scoped": scoped},
        )
        assert role.status_code == 201 and role.json()["store_scoped"] is scoped
    valet = await _hire(crm, "valet@demo-chain.example", "valet", None)
    auditor = await _hire(crm, "auditor@demo-chain.example", "auditor", None)
    assert valet.status_code == 422 and valet.json()["errors"][0]["field"] == "stores"
    assert auditor.status_code == 201
    # And the templates say which of them are store-scoped
    roles = (await crm.demo.client.get("/api/v1/roles", headers=admin)).json()["items"]
    scoped = {r["name"] for r in roles if r["store_scoped"]}
    assert scoped == STORE_SCOPED_ROLES | {"valet"}


def test_a_manifest_refuses_a_store_role_without_stores(tmp_path: Path) -> None:
    # Given a manifest with an advisor who works at no store
    path = tmp_path / "shop.toml"
    path.write_text(
        "slug = 'shop'\nname = 'Shop'\nkind = 'shop'\n"
        "[[stores]]\ncode = 'MAIN'\nname = 'Main'\ncity = 'c'\n"
        "[[staff]]\nemail = 'a@shop.example'\nname = 'A'\nrole = 'service_advisor'\n",
        encoding="utf-8",
    )
    # When it is loaded, it is refused naming the file and key
    with pytest.raises(ManifestError) as error:
        load_manifest(path, roles=frozenset(ROLE_TEMPLATES))
    assert (error.value.key, error.value.message) == ("staff[0].stores", REQUIRED)


async def _seed_orders_and_complaints(crm: Crm) -> None:
    """An order and a complaint in SH001 and in HZ001."""
    for store in ("SH001", "HZ001"):
        customer = await crm.customer()
        vehicle = await crm.vehicle(customer["id"])
        await crm.order(store, customer["id"], vehicle["id"])
        complaint = await crm.demo.client.post(
            "/api/v1/complaints",
            headers=await crm.headers(),
            json={
                "customer_id": customer["id"],
                "store_id": crm.stores[store],
                "severity": "C",
                "category": "service_quality",
                "channel": "phone",
                "description": "客户反映保养后异响",
            },
        )
        assert complaint.status_code == 201, complaint.text


async def _empty_stores(crm: Crm, email: str, value: list[str] | None) -> None:
    """What a database edit or an old row can leave behind: no stores at all."""
    async with crm.demo.runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id):
            user_id = (await session.scalars(select(User.id).where(User.email == email))).one()
            await session.execute(
                update(Membership).where(Membership.user_id == user_id).values(store_ids=value)
            )


async def _listed(crm: Crm, headers: dict[str, str]) -> tuple[int, int | None]:
    """How many orders and complaints these credentials list (None: may not read them)."""
    orders = await crm.demo.client.get("/api/v1/service-orders?limit=200", headers=headers)
    complaints = await crm.demo.client.get("/api/v1/complaints?limit=200", headers=headers)
    assert orders.status_code == 200, orders.text
    if complaints.status_code == 403:
        return len(orders.json()["items"]), None
    assert complaints.status_code == 200, complaints.text
    return len(orders.json()["items"]), len(complaints.json()["items"])


async def _custom_member(crm: Crm, store_scoped: bool) -> str:
    """A member of a custom role that reads orders and complaints, working at SH001."""
    name = "scoped_reader" if store_scoped else "chain_reader"
    role = await crm.demo.client.post(
        "/api/v1/roles",
        headers=await crm.headers(),
        json={
            "name": name,
            "permissions": ["service_orders:read", "complaints:read", "api_keys:manage"],
            "store_scoped": store_scoped,
        },
    )
    assert role.status_code == 201, role.text
    email = f"{name}@demo-chain.example"
    hired = await _hire(crm, email, name, [crm.stores["SH001"]])
    assert hired.status_code == 201, hired.text
    async with crm.demo.runtime.sessions() as session, session.begin():
        user = (await session.scalars(select(User).where(User.email == email))).one()
        user.password_hash = PASSWORD_HASH
    return email


@pytest.mark.parametrize("emptied", [None, []], ids=["null", "empty-list"])
async def test_a_store_role_with_no_stores_sees_no_store_records(
    crm: Crm, emptied: list[str] | None
) -> None:
    # Given orders and complaints in two stores, and a member of every store-scoped role
    await _seed_orders_and_complaints(crm)
    people = {role: CHAIN_LOGINS[role] for role in sorted(STORE_SCOPED_ROLES)}
    people["scoped_reader"] = await _custom_member(crm, store_scoped=True)
    for role, email in people.items():
        reads_complaints = role != "technician"
        # Then with their store they see that store's records only
        before = await _listed(crm, {"Authorization": f"Bearer {await crm.demo.token(email)}"})
        assert before == (1, 1 if reads_complaints else None), role
        # When their stores are emptied behind the API's back
        await _empty_stores(crm, email, emptied)
        # Then they see nothing at all, never every store's records
        after = await _listed(crm, {"Authorization": f"Bearer {await crm.demo.token(email)}"})
        assert after == (0, 0 if reads_complaints else None), role


async def test_an_hq_role_without_stores_still_sees_every_store(crm: Crm) -> None:
    # Given orders and complaints in two stores and a custom chain-wide role
    await _seed_orders_and_complaints(crm)
    email = await _custom_member(crm, store_scoped=False)
    await _empty_stores(crm, email, None)
    # Then a role that is not store-scoped with no store list sees all stores
    headers = {"Authorization": f"Bearer {await crm.demo.token(email)}"}
    assert await _listed(crm, headers) == (2, 2)
    assert await _listed(crm, await crm.headers("hq_analyst")) == (2, 2)


async def test_an_api_key_sees_what_its_creator_sees(crm: Crm) -> None:
    # Given orders in two stores and a store-scoped integrator working at SH001
    await _seed_orders_and_complaints(crm)
    email = await _custom_member(crm, store_scoped=True)
    creator = {"Authorization": f"Bearer {await crm.demo.token(email)}"}
    created = await crm.demo.client.post(
        "/api/v1/api-keys",
        headers=creator,
        json={"name": "BI", "permissions": ["service_orders:read", "complaints:read"]},
    )
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    # Then the key sees the creator's store only
    assert await _listed(crm, key) == (1, 1)
    # When the creator's stores are emptied, the key sees nothing
    await _empty_stores(crm, email, None)
    assert await _listed(crm, key) == (0, 0)
