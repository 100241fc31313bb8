"""The referrals panel of the console's 360° page (``customer_panels``): the same data as
the profile's section, drawn for the front desk, in place of that section."""

from __future__ import annotations

import re

from tests.plugins.referrals.on_kit.conftest import Desk


def _panel(html: str) -> str:
    match = re.search(r'id="panel-referrals">(.*?)</section>', html, re.S)
    assert match, "no referrals panel"
    return match.group(1)


async def test_the_panels_say_who_referred_whom(desk: Desk) -> None:
    # Given a referrer whose code a new customer used
    code = (await desk.code())["code"]
    referee = await desk.app.customer()
    linked = (await desk.try_link(code, str(referee["id"]))).json()
    console = desk.app.console("hq_admin")
    # When the front desk opens the referee's and the referrer's 360° pages
    referee_page = await console.get(f"/console/customers/{referee['id']}")
    referrer_page = await console.get(f"/console/customers/{linked['referrer_id']}")
    # Then the referee's panel links to the referrer, the referrer's counts one referred
    assert referee_page.status_code == 200, referee_page.text
    mine = _panel(referee_page.text)
    assert "推荐人" in mine and f"/console/customers/{linked['referrer_id']}" in mine
    assert re.search(r'<dd id="referred">1\b', _panel(referrer_page.text))
    # And the generic section is not drawn beside the panel
    assert 'id="section-referrals"' not in referrer_page.text
