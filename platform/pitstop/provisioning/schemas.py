"""Request and response shapes of the platform operator's tenant API."""

from __future__ import annotations

import uuid

import msgspec

from pitstop.tenancy.models import Tenant, TenantKind
from pitstop.tenancy.types import CurrencyCode, DisplayName, Slug, TimeZoneName


class TenantOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    status: str
    timezone: str
    currency: str


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: DisplayName
    kind: TenantKind
    timezone: TimeZoneName = "Asia/Shanghai"
    currency: CurrencyCode = "CNY"


def tenant_out(t: Tenant) -> TenantOut:
    return TenantOut(t.id, t.slug, t.name, t.kind, t.status, t.timezone, t.currency)
