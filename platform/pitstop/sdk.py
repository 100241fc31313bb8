"""``pitstop.sdk``: the one module a plugin imports from the core.

Everything a partner needs to add a capability is here: the hook marker, the value types
of the contract, the plugin context, the tenant-owned model base, PII classes and masking
(``Sensitive`` for a personal field, ``FreeText`` for every text staff type: a response
declares them and serialisation masks them by the reader's role),
errors, pagination, business-time arithmetic, the channel contract (``Channel``,
``Outbound``, ``Receipt``, ``ChannelFailed``; SDK 1.2), read-only views of core records,
``for_each_tenant`` for a plugin's CLI commands (one tenant scope at a time), the plugin
session (the host's transaction, which a plugin cannot commit), event payload types, the
reward contract's payloads and the discount a plugin offers against a code (SDK 1.2),
the KPI board's tile, reporting period and order figures for a cohort (SDK 1.3), a car
taken into the shop's stock and a service order opened on it (SDK 1.4).
Nothing else of the core is public; first-party plugins use exactly this (an
import-linter contract in ``make lint`` keeps it so). See ``docs/plugins.md``.

:data:`SDK_VERSION` changes its major part only when a plugin written for the previous
one could break; a plugin states the range it was written for in ``PluginInfo.sdk``.
``docs/sdk-changelog.md`` lists every change and the deprecation policy; a snapshot test
(``tests/unit/test_sdk_surface.py``) fails on any change to this module's names or
signatures that is not recorded there.
"""

from __future__ import annotations

from pitstop.access.masking import (
    FreeText,
    Sensitive,
    free_text,
    from_builtins,
    sensitive,
    unmasked_builtins,
)
from pitstop.access.permissions import ROLE_TEMPLATES, Permission
from pitstop.access.pii import PIIClass
from pitstop.access.principal import Principal
from pitstop.crm.discounts import DiscountOffer
from pitstop.db.base import JSONDoc, TenantModel, Timestamps, new_id, tenant_fk, utcnow
from pitstop.db.rls import enable_rls
from pitstop.db.tenant_tables import create_tenant_table, tenant_reference
from pitstop.errors import ApiError, Conflict, Forbidden, NotFound, Unprocessable
from pitstop.events.rewards import (
    RewardGranted,
    RewardRejected,
    RewardRequested,
    RewardRevoked,
    RewardSource,
)
from pitstop.events.types import Event, EventPayloadInvalid, EventType, UndeclaredEvent
from pitstop.inputs import checked_day, checked_instant
from pitstop.insights.schemas import KpiTile, OrderFigures
from pitstop.messaging.channels import Channel, ChannelFailed, Outbound, Receipt
from pitstop.pagination import MAX_LIMIT, Limit, Page, keyset, page_of
from pitstop.plugin_host.commands import CommandError, for_each_tenant
from pitstop.plugin_host.console_hooks import (
    ConsoleLink,
    ConsolePage,
    ConsolePages,
    CustomerPanel,
)
from pitstop.plugin_host.contacts import (
    AwaitingReport,
    awaiting_reports,
    log_contact,
    record_delivery,
    record_reply,
    withdraw_marketing_consent,
)
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.session import PluginSession, Savepoint, TransactionNotYours
from pitstop.plugin_host.specs import SdkDeprecationWarning, hookimpl
from pitstop.plugin_host.stock import OrderLine, open_service_order, take_into_stock
from pitstop.plugin_host.types import (
    SDK_VERSION,
    EventHandler,
    NoSettings,
    PluginInfo,
    ReadFirst,
    Schedule,
    Section,
    TaskHandler,
    permission,
)
from pitstop.sdk_customers import customer_history, customer_overlap, new_customer_revenue
from pitstop.sdk_orders import (
    ServiceOrderView,
    completed_service_orders,
    get_service_order,
    open_service_orders_of,
    order_figures,
    service_orders_of,
    vehicle_service_orders,
)
from pitstop.sdk_views import (
    CustomerView,
    MileageReadingView,
    StaffView,
    StoreView,
    VehicleView,
    get_customer,
    get_customers,
    get_store,
    get_vehicle,
    get_vehicles,
    list_staff,
    list_stores,
    list_vehicles,
    mileage_readings,
    mileage_readings_of,
)
from pitstop.tenancy.calendar import Calendar, Duration, calendar_for, parse_duration
from pitstop.tenancy.periods import Period

__all__ = [
    "MAX_LIMIT",
    "ROLE_TEMPLATES",
    "SDK_VERSION",
    "ApiError",
    "AwaitingReport",
    "Calendar",
    "Channel",
    "ChannelFailed",
    "CommandError",
    "Conflict",
    "ConsoleLink",
    "ConsolePage",
    "ConsolePages",
    "CustomerPanel",
    "CustomerView",
    "DiscountOffer",
    "Duration",
    "Event",
    "EventHandler",
    "EventPayloadInvalid",
    "EventType",
    "Forbidden",
    "FreeText",
    "JSONDoc",
    "KpiTile",
    "Limit",
    "MileageReadingView",
    "NoSettings",
    "NotFound",
    "OrderFigures",
    "OrderLine",
    "Outbound",
    "PIIClass",
    "Page",
    "Period",
    "Permission",
    "PluginContext",
    "PluginInfo",
    "PluginSession",
    "Principal",
    "ReadFirst",
    "Receipt",
    "RewardGranted",
    "RewardRejected",
    "RewardRequested",
    "RewardRevoked",
    "RewardSource",
    "Savepoint",
    "Schedule",
    "SdkDeprecationWarning",
    "Section",
    "Sensitive",
    "ServiceOrderView",
    "StaffView",
    "StoreView",
    "TaskHandler",
    "TenantModel",
    "Timestamps",
    "TransactionNotYours",
    "UndeclaredEvent",
    "Unprocessable",
    "VehicleView",
    "awaiting_reports",
    "calendar_for",
    "checked_day",
    "checked_instant",
    "completed_service_orders",
    "create_tenant_table",
    "customer_history",
    "customer_overlap",
    "enable_rls",
    "for_each_tenant",
    "free_text",
    "from_builtins",
    "get_customer",
    "get_customers",
    "get_service_order",
    "get_store",
    "get_vehicle",
    "get_vehicles",
    "hookimpl",
    "keyset",
    "list_staff",
    "list_stores",
    "list_vehicles",
    "log_contact",
    "mileage_readings",
    "mileage_readings_of",
    "new_customer_revenue",
    "new_id",
    "open_service_order",
    "open_service_orders_of",
    "order_figures",
    "page_of",
    "parse_duration",
    "permission",
    "record_delivery",
    "record_reply",
    "sensitive",
    "service_orders_of",
    "take_into_stock",
    "tenant_fk",
    "tenant_reference",
    "unmasked_builtins",
    "utcnow",
    "vehicle_service_orders",
    "withdraw_marketing_consent",
]
