"""A redemption on PostgreSQL in one statement: mature, check, pick lots, write, update.

Through the ORM a redemption is a read of the lots, then a flush of an INSERT for the
entry, an INSERT for the movements, an UPDATE per lot touched and one for the account:
five to seven round trips with the account row locked, and the ORM's unit of work in
Python for each (issue 21 measured the ledger 5-8x slower than a bare conditional
UPDATE). Here the same work is one statement of data-modifying CTEs, so the lock is held
for the lock itself plus one round trip.

The account must already be locked (:func:`pitstop_membership.ledger.lock_account`) by an
earlier statement. That is what makes one statement safe: under READ COMMITTED a
statement reads the snapshot taken when it starts, so a statement that took the lock
itself would, after waiting for it, still read the lots as they were before the other
redemption committed. Locked first, the statement starts after the other transaction
ended and reads its lots as they are now.

The rules are :func:`pitstop_membership.ledger.redeem`'s, written in SQL:

* pending lots whose waiting period is over mature (``is_pending`` false, ``pending``
  down by their remainder), whether or not they are then spent;
* refused whole, writing nothing, when the points exceed ``max(0, balance - pending)``;
* spendable lots are taken in consumption order (soonest expiry, never-expiring last,
  then age, then id): each gives ``least(remaining, points - what earlier lots gave)``;
* one entry, one movement per lot taken, each lot and the account updated.

Every clause names the tenant besides row-level security, as the ORM wall would.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from pitstop.sdk import PluginSession, Unprocessable
from pitstop_membership.entries import Source, new_entry
from pitstop_membership.models import EntryKind, LedgerEntry, MemberAccount

NEW_ID = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
    " substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)"
    " FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
)
"""A UUIDv7 made by the database (time-ordered like ``new_id``): one per movement, whose
number is known only once the lots are picked."""

REDEEM = text(f"""
WITH due AS (
    SELECT id, remaining FROM membership_lots
    WHERE tenant_id = CAST(:tenant AS uuid) AND account_id = CAST(:account AS uuid)
      AND is_pending AND available_at <= CAST(:now AS timestamptz)
),
account AS (
    SELECT a.balance, a.pending - (SELECT coalesce(sum(remaining), 0) FROM due) AS pending
    FROM membership_accounts AS a
    WHERE a.tenant_id = CAST(:tenant AS uuid) AND a.id = CAST(:account AS uuid)
),
allowed AS (
    SELECT CAST(:points AS integer) <= greatest(0, balance - pending) AS ok FROM account
),
spendable AS (
    SELECT id, store_id, remaining,
           coalesce(sum(remaining) OVER (
               ORDER BY expires_at ASC NULLS LAST, earned_at, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS before
    FROM membership_lots
    WHERE tenant_id = CAST(:tenant AS uuid) AND account_id = CAST(:account AS uuid)
      AND remaining > 0 AND (NOT is_pending OR available_at <= CAST(:now AS timestamptz))
),
taken AS (
    SELECT s.id, s.store_id, least(s.remaining, CAST(:points AS integer) - s.before) AS points
    FROM spendable AS s, allowed
    WHERE allowed.ok AND s.before < CAST(:points AS integer)
),
entry AS (
    INSERT INTO membership_ledger (
        tenant_id, id, account_id, kind, points, spend, reason, event_id, order_id,
        store_id, actor_id, idempotency_key, occurred_at, detail
    )
    SELECT CAST(:tenant AS uuid), CAST(:entry AS uuid), CAST(:account AS uuid), 'redeem',
           -CAST(:points AS integer), 0, CAST(:reason AS varchar), CAST(:event AS uuid),
           CAST(:order AS uuid), CAST(:store AS uuid), CAST(:actor AS uuid),
           CAST(:key AS varchar), CAST(:now AS timestamptz), '{{}}'::jsonb
    FROM allowed WHERE ok
),
moved AS (
    INSERT INTO membership_lot_movements (
        tenant_id, id, lot_id, entry_id, kind, points, lot_store_id, entry_store_id, "at"
    )
    SELECT CAST(:tenant AS uuid), {NEW_ID}, id, CAST(:entry AS uuid), 'redeem', -points,
           store_id, CAST(:store AS uuid), CAST(:now AS timestamptz)
    FROM taken
),
lots AS (
    UPDATE membership_lots AS l
    SET remaining = l.remaining - coalesce(t.points, 0),
        is_pending = l.is_pending AND l.available_at > CAST(:now AS timestamptz)
    FROM (SELECT id FROM due UNION SELECT id FROM taken) AS touched
    LEFT JOIN taken AS t ON t.id = touched.id
    WHERE l.tenant_id = CAST(:tenant AS uuid) AND l.id = touched.id
      AND (SELECT ok FROM allowed)
),
updated AS (
    UPDATE membership_accounts AS a
    SET balance = a.balance - CAST(:points AS integer), pending = account.pending,
        updated_at = CAST(:stamp AS timestamptz)
    FROM account, allowed
    WHERE a.tenant_id = CAST(:tenant AS uuid) AND a.id = CAST(:account AS uuid) AND allowed.ok
    RETURNING a.balance, a.pending
)
SELECT account.balance, account.pending, updated.balance, updated.pending
FROM account LEFT JOIN updated ON true
""")


async def redeem_in_one_statement(
    session: PluginSession,
    account: MemberAccount,
    points: int,
    source: Source,
    now: dt.datetime,
) -> LedgerEntry:
    """:func:`pitstop_membership.ledger.redeem` on PostgreSQL, the account already locked."""
    await session.flush()  # what the ORM holds unwritten must be in what the SQL reads
    entry = new_entry(
        account, EntryKind.redeem, -points, source, now,
        tenant_id=account.tenant_id, spend=0, detail={},
    )  # fmt: skip
    stamp = dt.datetime.now(dt.UTC)
    row = (
        await session.execute(
            REDEEM,
            {
                "tenant": account.tenant_id,
                "account": account.id,
                "points": points,
                "now": now,
                "entry": entry.id,
                "reason": source.reason,
                "event": source.event_id,
                "order": source.order_id,
                "store": source.store_id,
                "actor": source.actor_id,
                "key": source.key,
                "stamp": stamp,
            },
        )
    ).one()
    balance, pending, new_balance, new_pending = row
    if new_balance is None:
        raise Unprocessable.field(
            "points",
            f"only {max(0, balance - pending)} points can be spent now",
            code="insufficient_points",
        )
    for name, value in (("balance", new_balance), ("pending", new_pending), ("updated_at", stamp)):
        set_committed_value(account, name, value)
    make_transient_to_detached(entry)  # written by the statement: the session's, unflushed
    session.add(entry)
    return entry
