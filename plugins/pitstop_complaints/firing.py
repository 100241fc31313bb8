"""What an SLA firing transaction reads once for all the complaints it fires.

A timer fires every due complaint of its tenant in one transaction (:mod:`.sla`). Each
firing notifies staff: before, every complaint read who had been notified already, and
the store's managers (or the HQ role) afresh, and flushed its rows on its own - a third
of the worker's CPU in the burst of issue 21's benchmark went to these statements. Here
the batch reads the notifications already sent for all its complaints in one statement,
each (role, store)'s staff once, leaves the new rows to the transaction's next flush, and
emits the batch's events after its last complaint, a wave of one type in one write.
Exactly once is unchanged: the complaints are locked before this is read, and only the
holder of a complaint's lock adds its notifications, so what was read stays true for the
transaction, and what the batch adds is remembered as it goes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import zip_longest

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
        self._events: defaultdict[uuid.UUID, list[tuple[str, msgspec.Struct]]] = defaultdict(list)
        """Each complaint's events, in the order it fired them."""

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

    def emit(self, complaint: Complaint, type: str, facts: msgspec.Struct) -> None:
        """An event to emit once the batch's complaints are fired."""
        self._events[complaint.id].append((type, facts))

    async def emit_all(self) -> None:
        """Emit what the batch fired, after its last complaint: the first flush writes
        every complaint's changes and notifications (one statement per table). Then each
        complaint's first events, its second, and so on; within one wave the events of
        one type are one write (``ctx.emit_many``). A complaint's own events stay in the
        order it fired them; two complaints' events were never ordered between them."""
        fired, self._events = list(self._events.values()), defaultdict(list)
        for wave in zip_longest(*fired):
            by_type: dict[str, list[msgspec.Struct]] = {}
            for type, facts in filter(None, wave):
                by_type.setdefault(type, []).append(facts)
            for type, payloads in by_type.items():
                await self._ctx.emit_many(type, payloads)

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
