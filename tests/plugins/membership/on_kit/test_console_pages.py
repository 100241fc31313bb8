"""Membership at the console: the 360° panel (tier, points, usable vouchers, never a code)
and HQ's liability page (points and vouchers outstanding per store, the reader's stores
only). SQLite only: the pages call the API's reports, tested on both databases."""

from __future__ import annotations

import re

import pytest

from tests.plugins.membership.on_kit.conftest import KitClub

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _row(html: str, table: str, label: str) -> str:
    body = re.search(rf'<table class="list" id="{table}">(.*?)</table>', html, re.S)
    assert body, table
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', body.group(1), re.S)
    assert row, label
    return row.group(1)


async def test_the_panel_and_the_liability_page(club: KitClub) -> None:
    # Given a member who spent ¥388 at SH001 and holds a ¥50 voucher issued there
    who = await club.customer()
    await club.spend(who, 38_800)
    admin = club.app.client()
    template = (
        await admin.post(
            "/api/v1/membership/voucher-templates",
            json={
                "code": "DESK50",
                "title": "到店立减50",
                "kind": "amount",
                "amount": 5_000,
                "valid_days": 30,
            },
        )
    ).json()
    voucher = await admin.post(
        "/api/v1/membership/vouchers",
        json={
            "template_id": template["id"],
            "customer_id": who[0],
            "reason": "到店礼",
            "store_id": club.app.stores["SH001"],
        },
    )
    assert voucher.status_code == 201, voucher.text
    # When the SH001 advisor opens the customer's 360° page
    page = await club.app.console("service_advisor", "SH001").get(f"/console/customers/{who[0]}")
    # Then the panel shows the points and the voucher, but never its code
    assert page.status_code == 200, page.text
    panel = re.search(r'id="panel-membership">(.*?)</section>', page.text, re.S)
    assert panel and '<dd id="points-balance">388</dd>' in panel.group(1)
    assert "到店立减50" in panel.group(1) and voucher.json()["code"] not in page.text
    # When HQ opens the liability page
    hq = await club.app.console("hq_admin").get("/console/membership/")
    # Then SH001 owes 388 points and one ¥50 voucher
    assert hq.status_code == 200, hq.text
    assert '<td class="outstanding">388</td>' in _row(hq.text, "points", "SH001")
    assert "¥50.00" in _row(hq.text, "vouchers-liability", "SH001")
    # And HZ001's manager sees none of SH001's rows; a technician may not open it
    hz = await club.app.console("store_manager", "HZ001").get("/console/membership/")
    assert hz.status_code == 200 and "SH001" not in hz.text
    technician = club.app.console("technician", "SH001")
    assert (await technician.get("/console/membership/")).status_code == 403
