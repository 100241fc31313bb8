"""Retention's per-store service intervals at the console (``/console/retention/intervals``).

One row per store the reader sees: the interval its cars are due on (its own, or the
chain's), and for a manager a form to set the store's own or go back to the chain's. Both
forms go through the API's own path (``store_intervals.save_interval`` /
``drop_interval``: the same bounds, store scope, audit rows and re-projection task), so a
bad figure is the 422 page naming the field, another store the 404 page.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from pitstop.sdk import ConsolePage, PluginContext, Unprocessable, list_stores

from .settings import RetentionSettings
from .store_intervals import drop_interval, own_intervals, save_interval

HERE = "/console/retention/intervals"
LABELS = {
    "Service intervals": "保养周期",
    "Store": "门店",
    "Kilometres": "公里",
    "Months": "月",
    "Chain default": "连锁默认",
    "Own": "本店设定",
    "Save": "保存",
    "Use the chain's": "恢复连锁默认",
    "Whichever comes first: a store's own interval replaces the chain's for the cars last "
    "serviced there.": "以先到者为准：门店自设的周期替代连锁默认，适用于最后在该店保养的车辆。",
}


def _whole(form: Any, name: str) -> int:
    value = form.get(name)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise Unprocessable.field(name, "a whole number") from None


class IntervalPages(Controller):
    path = "/intervals"

    @get("/", opt={"permission": "retention:read"})
    async def intervals(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        page: NamedDependency[ConsolePage],
    ) -> Any:
        """Each of the reader's stores with the interval its cars are due on."""
        default = ctx.settings.service_interval
        own = {row.store_id: row for row in await own_intervals(ctx)}
        stores = [
            {
                "id": store.id,
                "code": store.code,
                "name": store.name,
                "km": own[store.id].km if store.id in own else default.km,
                "months": own[store.id].months if store.id in own else default.months,
                "own": store.id in own,
            }
            for store in await list_stores(ctx)
        ]
        can_manage = ctx.principal is not None and ctx.principal.can("retention:manage")
        return page(
            "intervals.html",
            default={"km": default.km, "months": default.months},
            stores=stores,
            can_manage=can_manage,
        )

    @post("/{store_id:uuid}", opt={"permission": "retention:manage"})
    async def save(
        self,
        ctx: NamedDependency[PluginContext],
        store_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
    ) -> Redirect:
        """The store's own interval, as ``PUT /api/v1/retention/store-intervals/{id}``."""
        form = await request.form()
        await save_interval(ctx, store_id, _whole(form, "km"), _whole(form, "months"))
        return Redirect(HERE, status_code=303)

    @post("/{store_id:uuid}/clear", opt={"permission": "retention:manage"})
    async def clear(
        self, ctx: NamedDependency[PluginContext], store_id: FromPath[uuid.UUID]
    ) -> Redirect:
        """Back to the chain's, as ``DELETE /api/v1/retention/store-intervals/{id}``."""
        await drop_interval(ctx, store_id)
        return Redirect(HERE, status_code=303)
