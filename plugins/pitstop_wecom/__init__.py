"""The ``wecom`` plugin: 企业微信 (WeCom) for staff notices and customer messages.

Two channels. ``wecom`` posts staff notices through a group chat's robot: a **broadcast**
channel (the whole group reads it), so the core never sends a staff member's secret
through it. ``wecom_customer`` messages customers linked to a WeCom external contact
(客户联系) through the server API, where the tenant configured the corporate app; other
customers keep the tenant's other channel. The link lives in the plugin's own table,
written by ``PUT /api/v1/wecom/contacts/{customer_id}`` or by WeCom's own customer-contact
event, relayed to ``POST /api/v1/wecom/events``. Written against ``pitstop.sdk``
only; see docs/plugins/wecom.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pitstop.sdk import Channel, PluginContext, PluginInfo, hookimpl, permission

from . import contacts
from . import models as models  # the table must be in the metadata
from .channel import WecomRobotChannel
from .customers import WecomCustomerChannel
from .events import EventsController
from .settings import WecomSettings
from .wording import DESCRIPTION, MESSAGES, TITLE


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="wecom",
        version="0.2.0",
        title=TITLE,
        messages=MESSAGES,
        sdk=">=1.5,<2",
        settings=WecomSettings,
        permissions=(
            permission(
                "wecom:contacts",
                "Link a customer to their WeCom external contact, or unlink them",
                {"hq_admin", "store_manager", "service_advisor"},
            ),
        ),
        description=DESCRIPTION,
    )


@hookimpl
def channels() -> Sequence[Channel]:
    return [WecomRobotChannel(), WecomCustomerChannel()]


@hookimpl
def routes() -> Sequence[Any]:
    return [contacts.ContactsController, EventsController]


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    return await contacts.export_customer(ctx, customer_id)


@hookimpl
async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    await contacts.erase_customer(ctx, customer_id)
