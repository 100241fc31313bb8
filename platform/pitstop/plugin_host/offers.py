"""A discount code at the counter, offered to the plugins in pluggy's order.

Write-side: a plugin's refusal (an :class:`~pitstop.errors.ApiError`, a 422 naming
``code``) is the caller's answer, in the plugin's own words, and later plugins are not
asked - a voucher the first plugin knows and refuses must not be redeemed by another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.crm.discounts import DiscountOffer
from pitstop.crm.models import ServiceOrder
from pitstop.errors import ApiError
from pitstop.sdk_orders import order_view
from pitstop.wording import OwnMessages

if TYPE_CHECKING:
    from pitstop.plugin_host.manager import PluginHost


async def first_offer(
    host: PluginHost, session: AsyncSession, order: ServiceOrder, code: str, principal: Principal
) -> DiscountOffer | None:
    """The first enabled plugin's offer for ``code``; None when no plugin knows it."""
    view = order_view(order)
    enabled = await host.enabled(session)
    for plugin in host.callers.order("redeem_code"):
        if plugin not in enabled:
            continue
        ctx = await host.context(session, plugin, principal=principal, row=enabled[plugin])
        try:
            offer = await host.callers.call("redeem_code", plugin, ctx=ctx, order=view, code=code)
        except ApiError as exc:  # the plugin's refusal, in its own words (SDK 1.5)
            exc.own = exc.own or OwnMessages(host.plugins[plugin].info.messages)
            raise
        if offer is None:
            continue
        if not isinstance(offer, DiscountOffer):
            raise TypeError(f"plugin {plugin}: redeem_code must answer a DiscountOffer")
        return offer
    return None
