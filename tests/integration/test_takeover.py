"""A tenant can never change an identity it does not own (security issue 11, defect 1).

People are platform-wide identities. The demo chain's HQ admin plays the attacker: they
hire another tenant's owner (or a platform operator) by e-mail, invite them and redeem
the invite with a password of their own choosing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from pitstop.db.tenant_context import tenant_scope
from pitstop.identity.models import Membership, User
from pitstop.tenancy.models import Tenant
from tests.support.demo import PASSWORD, Demo

VICTIM = "owner@demo-shop.example"
OPERATOR = "ops@pitstop.example"
ATTACKER_PASSWORD = "mallory-owns-you-now"


async def _login(demo: Demo, tenant: str | None, email: str, password: str) -> int:
    response = await demo.client.post(
        "/api/v1/auth/token", json={"tenant": tenant, "email": email, "password": password}
    )
    return response.status_code


async def _attack(demo: Demo, email: str) -> dict[str, Any]:
    """The reported sequence: hire by e-mail, invite, redeem with the attacker's password."""
    admin = await demo.headers()
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={"email": email, "name": "Puppet", "role": "hq_admin"},
    )
    token = "no-invite-was-issued"
    invited = None
    if hired.status_code == 201:
        invited = await demo.client.post(
            f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin
        )
        token = invited.json().get("token", token)
    redeemed = await demo.client.post(
        "/api/v1/auth/set-password",
        json={"tenant": "demo-chain", "token": token, "password": ATTACKER_PASSWORD},
    )
    accepted = await demo.client.post(
        "/api/v1/auth/accept",
        json={
            "tenant": "demo-chain",
            "email": email,
            "password": ATTACKER_PASSWORD,
            "token": token,
        },
    )
    return {"hired": hired, "invited": invited, "redeemed": redeemed, "accepted": accepted}


async def _user(demo: Demo, email: str) -> User:
    async with demo.runtime.sessions() as session:
        return (await session.scalars(select(User).where(User.email == email))).one()


async def test_hiring_another_tenants_owner_cannot_take_over_their_account(demo: Demo) -> None:
    # Given the shop owner's identity as the shop knows it
    before = await _user(demo, VICTIM)
    # When the chain's admin runs the takeover sequence against the owner's e-mail
    steps = await _attack(demo, VICTIM)
    # Then the owner's own password still opens the shop; the attacker's opens nothing
    assert await _login(demo, "demo-shop", VICTIM, PASSWORD) == 200
    for tenant in ("demo-shop", "demo-chain", None):
        assert await _login(demo, tenant, VICTIM, ATTACKER_PASSWORD) == 401
    # And the hire is only a pending membership, and the invite cannot set a password
    assert steps["hired"].status_code == 201, steps["hired"].text
    assert steps["hired"].json()["pending"] is True
    assert steps["hired"].json()["name"] == "Puppet"  # the chain's own label for the person
    assert steps["redeemed"].status_code == 401
    assert steps["accepted"].status_code == 401
    # And the identity was neither renamed nor given a new password
    after = await _user(demo, VICTIM)
    assert (after.name, after.password_hash) == (before.name, before.password_hash)
    # And the chain's audit log records the hire and the invite
    audit = await demo.client.get(
        "/api/v1/audit?action=staff.changed", headers=await demo.headers()
    )
    changes = [
        e["detail"].get("change")
        for e in audit.json()["items"]
        if e["resource_id"] == steps["hired"].json()["id"]
    ]
    assert changes == ["hired", "invited"]


async def test_a_platform_operator_cannot_be_hired_invited_or_set(demo: Demo) -> None:
    # Given a platform operator with their own password
    await demo.add_operator(OPERATOR)
    # When the chain's admin runs the takeover sequence against the operator's e-mail
    steps = await _attack(demo, OPERATOR)
    # Then the operator keeps their password and the attacker gets no platform token
    assert await _login(demo, None, OPERATOR, PASSWORD) == 200
    assert await _login(demo, None, OPERATOR, ATTACKER_PASSWORD) == 401
    assert await _login(demo, "demo-chain", OPERATOR, ATTACKER_PASSWORD) == 401
    # And the hire itself was refused, naming the field without echoing the address
    hired = steps["hired"]
    assert hired.status_code == 422, hired.text
    assert hired.json()["errors"][0]["field"] == "email"
    assert OPERATOR not in hired.text
    assert (await _user(demo, OPERATOR)).name == "Ops"


async def test_the_person_accepts_with_their_own_password_and_the_invite(demo: Demo) -> None:
    # Given the chain hires the shop owner, who is pending and cannot sign in to the chain yet
    admin = await demo.headers()
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={
            "email": VICTIM,
            "name": "刘顾问",
            "role": "technician",
            "stores": [await demo.store_id()],
        },
    )
    assert await _login(demo, "demo-chain", VICTIM, PASSWORD) == 401
    invite = await demo.client.post(f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin)
    assert invite.status_code == 201
    token = invite.json()["token"]
    # When the owner accepts with their own password and the chain's invite
    accepted = await demo.client.post(
        "/api/v1/auth/accept",
        json={"tenant": "demo-chain", "email": VICTIM, "password": PASSWORD, "token": token},
    )
    # Then they are signed in to the chain, and both tenants open with the one password
    assert accepted.status_code == 200, accepted.text
    stores = await demo.client.get(
        "/api/v1/stores", headers={"Authorization": f"Bearer {accepted.json()['access_token']}"}
    )
    assert stores.status_code == 200
    assert await _login(demo, "demo-shop", VICTIM, PASSWORD) == 200
    assert await _login(demo, "demo-chain", VICTIM, PASSWORD) == 200
    # And the invite is spent, and the chain can now neither invite nor rename them
    again = await demo.client.post(
        "/api/v1/auth/accept",
        json={"tenant": "demo-chain", "email": VICTIM, "password": PASSWORD, "token": token},
    )
    assert again.status_code == 401
    reinvite = await demo.client.post(f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin)
    assert reinvite.status_code == 409
    assert (await _user(demo, VICTIM)).name == "刘师傅"


async def test_an_invite_without_the_persons_password_accepts_nothing(demo: Demo) -> None:
    # Given the chain hires the shop owner and holds the invite
    admin = await demo.headers()
    hired = await demo.client.post(
        "/api/v1/staff",
        headers=admin,
        json={
            "email": VICTIM,
            "name": "X",
            "role": "technician",
            "stores": [await demo.store_id()],
        },
    )
    token = (
        await demo.client.post(f"/api/v1/staff/{hired.json()['id']}/invite", headers=admin)
    ).json()["token"]
    # When someone holding the invite guesses a password, or the owner accepts in the wrong tenant
    guessed = await demo.client.post(
        "/api/v1/auth/accept",
        json={
            "tenant": "demo-chain",
            "email": VICTIM,
            "password": "a-wrong-password",
            "token": token,
        },
    )
    elsewhere = await demo.client.post(
        "/api/v1/auth/accept",
        json={"tenant": "demo-shop", "email": VICTIM, "password": PASSWORD, "token": token},
    )
    # Then both get the login's one answer and the membership stays pending
    assert (guessed.status_code, elsewhere.status_code) == (401, 401)
    assert guessed.json()["code"] == elsewhere.json()["code"] == "invalid_credentials"
    async with demo.runtime.sessions() as session:
        chain = (await session.scalars(select(Tenant).where(Tenant.slug == "demo-chain"))).one()
        with tenant_scope(chain.id):
            membership = await session.get(Membership, (chain.id, uuid.UUID(hired.json()["id"])))
            assert membership is not None and membership.pending


async def test_a_manifest_follows_the_same_rules(demo: Demo, tmp_path: Any) -> None:
    # Given the chain's manifest lists the shop owner under another name
    from pitstop.provisioning.reconcile import render
    from pitstop.tenant_manifests import provision
    from tests.support.demo import TENANTS_DIR

    text = (TENANTS_DIR / "demo-chain.toml").read_text(encoding="utf-8")
    text += f'\n[[staff]]\nemail = "{VICTIM}"\nname = "冒名"\nrole = "hq_admin"\n'
    (tmp_path / "demo-chain.toml").write_text(text, encoding="utf-8")
    # When it is applied
    plan = render(await provision(demo.runtime, tmp_path, apply=True))
    # Then the owner is only pending in the chain, keeps their name and cannot sign in there
    assert f"+ staff {VICTIM} as hq_admin [all stores] (pending acceptance)" in plan
    assert (await _user(demo, VICTIM)).name == "刘师傅"
    assert await _login(demo, "demo-chain", VICTIM, PASSWORD) == 401
    assert await _login(demo, "demo-shop", VICTIM, PASSWORD) == 200
    # And applying again changes nothing
    assert render(await provision(demo.runtime, tmp_path, apply=True)) == "No changes."
