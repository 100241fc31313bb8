"""What an SLA firing transaction reads once for all the complaints it fires.

A timer fires every due complaint of its tenant in one transaction (:mod:`.sla`). Each
firing notifies staff: before, every complaint read who had been notified already, and
the store's managers (or the HQ role) afresh, and flushed its rows on its own - a third
of the worker's CPU in the burst of issue 21's benchmark went to these statements. Here
the batch reads the notifications already sent for all its complaints in one statement,
each (role, store)'s staff once, leaves the new rows to the transaction's next flush, and
emits the batch's events after its last complaint.
Exactly once is unchanged: the complaints are locked before this is read, and only the
holder of a complaint's lock adds its notifications, so what was read stays true for the
transaction, and what the batch adds is remembered as it goes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

import msgspec
from sqlalchemy import select

from pitstop.sdk import PluginContext

from .models import Complaint, ComplaintNotification
from .notify import notify
from .routing import staff_ids


class Firing:
    """One transaction's reads for firing, shared by the complaints it fires."""

    def __init__(self, ctx: PluginContext) -> None:
        self._ctx = ctx
        self._staff: dict[tuple[str, uuid.UUID], list[uuid.UUID]] = {}
        self._notified: defaultdict[tuple[uuid.UUID, str], set[uuid.UUID]] = defaultdict(set)
        self._read: set[uuid.UUID] = set()
        """The complaints whose notifications were read (the others are read on demand)."""
        self._events: list[tuple[str, msgspec.Struct]] = []

    async def read(self, complaints: Sequence[Complaint]) -> None:
        """The notifications already sent for ``complaints``, in one statement."""
        ids = [c.id for c in complaints if c.id not in self._read]
        if not ids:
            return
        rows = await self._ctx.session.execute(
            select(
                ComplaintNotification.complaint_id,
                ComplaintNotification.reason,
                ComplaintNotification.recipient_id,
            ).where(ComplaintNotification.complaint_id.in_(ids))
        )
        for complaint_id, reason, recipient in rows.all():
            self._notified[complaint_id, reason].add(recipient)
        self._read.update(ids)

    def emit(self, type: str, facts: msgspec.Struct) -> None:
        """An event to emit, in this order, once the batch's complaints are fired."""
        self._events.append((type, facts))

    async def emit_all(self) -> None:
        """Emit what the batch fired. Each emit flushes, so emitting after the last
        complaint writes every complaint's changes and notifications in the first flush
        (one statement per table) and one outbox row per flush after it, instead of the
        complaint and its notifications again at every event."""
        events, self._events = self._events, []
        for type, facts in events:
            await self._ctx.emit(type, facts)

    async def staff(self, role: str, store_id: uuid.UUID) -> list[uuid.UUID]:
        """Everyone of ``role`` at the store, read once per transaction."""
        key = (role, store_id)
        if key not in self._staff:
            self._staff[key] = await staff_ids(self._ctx, role, store_id)
        return self._staff[key]

    async def notify(
        self, complaint: Complaint, recipients: Iterable[uuid.UUID | None], reason: str
    ) -> None:
        """:func:`.notify.notify`, from what was read, without a flush of its own."""
        await self.read([complaint])
        sent = self._notified[complaint.id, reason]
        wanted = [r for r in recipients if r is not None]
        await notify(self._ctx, complaint, wanted, reason, already=sent, flush=False)
        sent.update(wanted)
