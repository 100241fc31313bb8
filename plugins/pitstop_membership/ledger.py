"""The points ledger: every change of points, applied to entries, lots and the account at once.

Rules kept here and nowhere else:

* the account row is locked first (``SELECT ... FOR UPDATE``), so concurrent redemptions
  of one member queue up instead of both reading the same balance;
* ``balance`` = sum of entries = sum of lot remainders; ``pending`` = sum of the
  remainders of lots not yet spendable; each lot's remainder = its points + its movements;
* redemptions and other deductions take from the lots that expire first;
* a debt (clawback past zero) is one negative lot that later earnings repay first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, bindparam, func, or_, select

from pitstop.sdk import PluginSession, Unprocessable, new_id
from pitstop_membership.entries import Source, new_entry
from pitstop_membership.models import (
    EntryKind,
    LedgerEntry,
    LotKind,
    LotMovement,
    MemberAccount,
    MovementKind,
    PointLot,
)
from pitstop_membership.redemption import redeem_in_one_statement

FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)
FRESH = {"populate_existing": True}
"""Lot reads refresh lots the session holds (a PostgreSQL redemption writes them past the
identity map); safe as the session autoflushes first, so nothing unwritten is lost."""


LOCK_ACCOUNT = select(MemberAccount).where(MemberAccount.customer_id == bindparam("customer_id"))
LOCK_ACCOUNT = LOCK_ACCOUNT.with_for_update().execution_options(populate_existing=True)
"""Built once: a statement built per call costs its cache key and the tenant wall's
filtering again on every ledger change (issue 21)."""


async def lock_account(session: PluginSession, customer_id: uuid.UUID) -> MemberAccount | None:
    """The member's account, locked for this transaction (re-read, never a stale copy)."""
    return (await session.scalars(LOCK_ACCOUNT, {"customer_id": customer_id})).one_or_none()


async def open_lots(session: PluginSession, account: MemberAccount) -> list[PointLot]:
    """Lots still holding (or owing) points, in the order deductions consume them."""
    statement = select(PointLot).where(PointLot.account_id == account.id, PointLot.remaining != 0)
    lots = list((await session.scalars(statement.execution_options(**FRESH))).all())
    return sorted(lots, key=consumption_order)


def consumption_order(lot: PointLot) -> tuple[dt.datetime, dt.datetime, uuid.UUID]:
    """Soonest expiry first; points that never expire go last; ties by age."""
    return (lot.expires_at or FAR_FUTURE, lot.earned_at, lot.id)


def spendable(account: MemberAccount) -> int:
    return max(0, account.balance - account.pending)


async def entry_by_key(session: PluginSession, key: str) -> LedgerEntry | None:
    return (
        await session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    ).one_or_none()


async def mature(session: PluginSession, account: MemberAccount, now: dt.datetime) -> None:
    """Pending lots whose waiting period is over become spendable."""
    statement = select(PointLot).where(
        PointLot.account_id == account.id,
        PointLot.is_pending.is_(True),
        PointLot.available_at <= now,
    )
    for lot in (await session.scalars(statement.execution_options(**FRESH))).all():
        lot.is_pending = False
        account.pending -= lot.remaining


async def pending_at(session: PluginSession, account: MemberAccount, now: dt.datetime) -> int:
    """What ``pending`` will be once matured lots are released, without writing (reads)."""
    statement = select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
        PointLot.account_id == account.id,
        PointLot.is_pending.is_(True),
        PointLot.available_at > now,
    )
    return int(await session.scalar(statement) or 0)


def record(
    session: PluginSession,
    account: MemberAccount,
    kind: EntryKind,
    points: int,
    source: Source,
    now: dt.datetime,
    **extra: object,
) -> LedgerEntry:
    entry = new_entry(account, kind, points, source, now, **extra)
    session.add(entry)
    account.balance += points
    return entry


def settle_points(account: MemberAccount, entry: LedgerEntry, points: int) -> None:
    """Fix an entry's points once its effect on the lots is known (clawback)."""
    account.balance += points - entry.points
    entry.points = points


def move(
    session: PluginSession,
    account: MemberAccount,
    lot: PointLot,
    entry: LedgerEntry,
    points: int,
    now: dt.datetime,
    kind: MovementKind | None = None,
) -> None:
    """Change one lot's remainder by ``points`` on behalf of ``entry``, recording it."""
    lot.remaining += points
    if lot.is_pending:
        account.pending += points
    session.add(
        LotMovement(
            lot_id=lot.id,
            entry_id=entry.id,
            kind=kind or MovementKind(entry.kind),
            points=points,
            lot_store_id=lot.store_id,
            entry_store_id=entry.store_id,
            at=now,
        )
    )


def take(
    session: PluginSession,
    account: MemberAccount,
    lots: Iterable[PointLot],
    entry: LedgerEntry,
    wanted: int,
    now: dt.datetime,
) -> int:
    """Take up to ``wanted`` points from ``lots`` in the order given; returns how many."""
    taken = 0
    for lot in lots:
        if taken == wanted:
            break
        if lot.remaining <= 0:
            continue
        amount = min(lot.remaining, wanted - taken)
        move(session, account, lot, entry, -amount, now)
        taken += amount
    return taken


def new_lot(
    session: PluginSession,
    account: MemberAccount,
    entry: LedgerEntry,
    kind: LotKind,
    *,
    points: int,
    now: dt.datetime,
    available_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> PointLot:
    available = available_at or now
    lot = PointLot(
        id=new_id(),
        account_id=account.id,
        entry_id=entry.id,
        kind=kind,
        store_id=entry.store_id,
        points=points,
        remaining=points,
        earned_at=now,
        available_at=available,
        expires_at=expires_at,
        is_pending=available > now,
    )
    session.add(lot)
    if lot.is_pending:
        account.pending += points
    return lot


def issue(
    session: PluginSession,
    account: MemberAccount,
    kind: EntryKind,
    points: int,
    source: Source,
    now: dt.datetime,
    *,
    available_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    spend: int = 0,
) -> tuple[LedgerEntry, PointLot | None]:
    """Record new points as an entry and its lot (none for zero points), without a query.

    :func:`credit` is this plus repaying a debt; a member who cannot owe anything (one just
    enrolled) may be issued points directly, which is what lets a backfill write a year of
    history in one flush.
    """
    entry = record(session, account, kind, points, source, now, spend=spend)
    if points == 0:
        return entry, None
    lot_kind = LotKind.earn if kind == EntryKind.earn else LotKind.adjust
    lot = new_lot(
        session,
        account,
        entry,
        lot_kind,
        points=points,
        now=now,
        available_at=available_at,
        expires_at=expires_at,
    )
    return entry, lot


async def credit(
    session: PluginSession,
    account: MemberAccount,
    kind: EntryKind,
    points: int,
    source: Source,
    now: dt.datetime,
    *,
    available_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    spend: int = 0,
) -> LedgerEntry:
    """Add points as a new lot (earn or positive adjust); a debt is repaid first."""
    entry, lot = issue(
        session,
        account,
        kind,
        points,
        source,
        now,
        available_at=available_at,
        expires_at=expires_at,
        spend=spend,
    )
    if lot is not None:
        await repay_debts(session, account, entry, lot, now)
    return entry


async def repay_debts(
    session: PluginSession,
    account: MemberAccount,
    entry: LedgerEntry,
    lot: PointLot,
    now: dt.datetime,
) -> None:
    """New points pay off a debt (a negative lot) before they can be spent."""
    for debt in await open_lots(session, account):
        if debt.kind == LotKind.debt and debt.remaining < 0 and lot.remaining > 0:
            repaid = min(lot.remaining, -debt.remaining)
            move(session, account, debt, entry, repaid, now, MovementKind.repay)
            move(session, account, lot, entry, -repaid, now, MovementKind.repay)


async def redeem(
    session: PluginSession,
    account: MemberAccount,
    points: int,
    source: Source,
    now: dt.datetime,
) -> LedgerEntry:
    """Spend points: refused whole (422 ``insufficient_points``) if not all are spendable.

    On PostgreSQL in one statement (:mod:`pitstop_membership.redemption`: the account is
    locked for one round trip, issue 21), elsewhere :func:`redeem_by_flush`."""
    if session.dialect == "postgresql":
        return await redeem_in_one_statement(session, account, points, source, now)
    return await redeem_by_flush(session, account, points, source, now)


async def redeem_by_flush(
    session: PluginSession,
    account: MemberAccount,
    points: int,
    source: Source,
    now: dt.datetime,
) -> LedgerEntry:
    """:func:`redeem` through the ORM, on any database: the lots are read once and matured
    in hand, and the entry, movements and updates are written by one flush."""
    lots = await _matured_open_lots(session, account, now)
    if points > spendable(account):
        raise Unprocessable.field(
            "points",
            f"only {spendable(account)} points can be spent now",
            code="insufficient_points",
        )
    entry = record(session, account, EntryKind.redeem, -points, source, now)
    take(session, account, [lot for lot in lots if not lot.is_pending], entry, points, now)
    await session.flush()  # the entry leaves with its defaults, as every caller expects
    return entry


async def _matured_open_lots(
    session: PluginSession, account: MemberAccount, now: dt.datetime
) -> list[PointLot]:
    """:func:`mature` then :func:`open_lots`, in one statement: the lots either of them
    would read, matured here as :func:`mature` would, the open ones in consumption order."""
    statement = select(PointLot).where(
        PointLot.account_id == account.id,
        or_(
            PointLot.remaining != 0,
            and_(PointLot.is_pending.is_(True), PointLot.available_at <= now),
        ),
    )
    lots = list((await session.scalars(statement.execution_options(**FRESH))).all())
    for lot in lots:
        if lot.is_pending and lot.available_at <= now:
            lot.is_pending = False
            account.pending -= lot.remaining
    return sorted((lot for lot in lots if lot.remaining != 0), key=consumption_order)


async def debit(
    session: PluginSession,
    account: MemberAccount,
    points: int,
    source: Source,
    now: dt.datetime,
) -> LedgerEntry:
    """A negative adjustment: may take pending points too, never past zero."""
    await mature(session, account, now)
    if points > account.balance:
        raise Unprocessable.field(
            "points", f"the member holds only {account.balance} points", code="insufficient_points"
        )
    entry = record(session, account, EntryKind.adjust, -points, source, now)
    take(session, account, await open_lots(session, account), entry, points, now)
    return entry


async def expire_due(
    session: PluginSession, account: MemberAccount, now: dt.datetime
) -> tuple[LedgerEntry | None, list[PointLot]]:
    """Expire every lot past its date that still holds points: one entry per run."""
    due = [
        lot
        for lot in await open_lots(session, account)
        if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now
    ]
    if not due:
        return None, []
    total = sum(lot.remaining for lot in due)
    source = Source(key=f"expire:{new_id()}", reason="points expired")
    entry = record(session, account, EntryKind.expire, -total, source, now)
    for lot in due:
        move(session, account, lot, entry, -lot.remaining, now)
    return entry, due


async def entries_of_order(
    session: PluginSession, account: MemberAccount, order_id: uuid.UUID
) -> Sequence[LedgerEntry]:
    statement = select(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.order_id == order_id
    )
    return (await session.scalars(statement)).all()
