"""Request and response shapes of the stores API."""

from __future__ import annotations

import uuid

import msgspec

from pitstop.inputs import CityName, ShortText
from pitstop.tenancy.models import RegionClass, Store
from pitstop.tenancy.types import StoreCode, TimeZoneName


class StoreOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    city: str
    region: str
    timezone: str
    hours: dict[str, str]
    holidays: list[str]
    active: bool
    managed_by: str
    """``manifest``: a tenant manifest manages this store; ``apply`` reverts API edits to it."""


class StoreCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: StoreCode
    name: ShortText
    city: CityName
    region: RegionClass = RegionClass.urban
    timezone: TimeZoneName | None = None
    hours: dict[str, str] = msgspec.field(default_factory=dict)
    holidays: list[str] = msgspec.field(default_factory=list)


class StorePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText | None = None
    city: CityName | None = None
    region: RegionClass | None = None
    timezone: str | None = None
    hours: dict[str, str] | None = None
    holidays: list[str] | None = None
    active: bool | None = None


def store_out(s: Store) -> StoreOut:
    return StoreOut(
        s.id,
        s.code,
        s.name,
        s.city,
        s.region,
        s.timezone,
        s.hours,
        s.holidays,
        s.active,
        s.managed_by.value,
    )
