"""Where a ledger entry comes from, and the entry itself: shared by the ORM ledger
(:mod:`pitstop_membership.ledger`) and the one-statement redemption on PostgreSQL
(:mod:`pitstop_membership.redemption`), so both write an entry from a source the same way.
Its own module because the ledger calls the redemption, which must not import it back."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pitstop.sdk import new_id
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount


@dataclass(frozen=True)
class Source:
    """Why and from where an entry happens (all optional but the idempotency key)."""

    key: str
    reason: str = ""
    store_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None


def new_entry(
    account: MemberAccount,
    kind: EntryKind,
    points: int,
    source: Source,
    now: dt.datetime,
    **extra: object,
) -> LedgerEntry:
    """The account's entry of ``points`` for ``source`` (not yet in any session)."""
    return LedgerEntry(
        id=new_id(),
        account_id=account.id,
        kind=kind,
        points=points,
        reason=source.reason,
        event_id=source.event_id,
        order_id=source.order_id,
        store_id=source.store_id,
        actor_id=source.actor_id,
        idempotency_key=source.key,
        occurred_at=now,
        **extra,
    )
