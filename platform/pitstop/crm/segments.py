"""A customer's RFM scores and segment as the CRM shows them and filters by them.

The scores are computed nightly by :mod:`pitstop.insights.rfm` into ``customer_rfm``; the
CRM only reads them: on the customer (``rfm``), in the customer list's ``segment`` filter
and as the ``insights.segment`` attribute plugins read. A customer without a visit has no
row, so ``rfm`` is null until their first visit has been scored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import CustomerRfm


class RfmOut(msgspec.Struct):
    r: int
    f: int
    m: int
    segment: str
    computed_at: dt.datetime


async def rfm_of(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RfmOut]:
    """The scored customers among ``customer_ids``, in one statement."""
    if not customer_ids:
        return {}
    rows = await session.scalars(
        select(CustomerRfm).where(CustomerRfm.customer_id.in_(list(customer_ids)))
    )
    return {
        row.customer_id: RfmOut(row.r, row.f, row.m, row.segment, row.computed_at)
        for row in rows.all()
    }
