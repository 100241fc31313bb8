"""Work that must happen only once a transaction has committed (and never if it rolls back).

Broker messages are the case in point: an event nudge or a deferred plugin task sent
before the commit could be processed before the rows it names are visible, and one sent
for a transaction that then rolls back would act on nothing. Callbacks are kept on the
session and run after commit; a failing callback is logged and never undoes the commit
(the relay's sweep and the complaint sweep are the backstops for lost messages).

A SAVEPOINT that rolls back forgets the callbacks registered inside it, and only those: a
handler that emitted an event and then met a unique key in a savepoint of its own (the
membership plugin's reward claim) keeps the event's nudge, and a batch of deliveries in one
transaction (:mod:`pitstop.events.backlog`) loses none of its neighbours' messages.
SQLAlchemy fires ``after_commit`` and ``after_rollback`` for a savepoint too: callbacks run
only when the outermost transaction commits (never at a ``RELEASE SAVEPOINT``, when nothing
is visible yet), and the listener that forgets reads which transaction rolled back
(``after_soft_rollback``) rather than forgetting everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = structlog.get_logger("pitstop.db")
_KEY = "pitstop_on_commit"
_MARKS = "pitstop_on_commit_marks"
"""``session.info`` key: for each open SAVEPOINT, how many callbacks came before it."""


def on_commit(session: AsyncSession | Session, callback: Callable[[], Any]) -> None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_KEY, []).append(callback)


def install_on_commit(session_class: type[Session]) -> None:
    @event.listens_for(session_class, "after_commit")
    def _run(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a RELEASE SAVEPOINT: SQLAlchemy calls it a commit too
        session.info.pop(_MARKS, None)
        for callback in session.info.pop(_KEY, []):
            try:
                callback()
            except Exception:
                log.exception("after_commit_callback_failed")

    @event.listens_for(session_class, "after_transaction_create")
    def _mark(session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested:
            marks = session.info.setdefault(_MARKS, {})
            marks[transaction] = len(session.info.get(_KEY, ()))

    @event.listens_for(session_class, "after_soft_rollback")
    def _forget(session: Session, previous: SessionTransaction) -> None:
        boundary = _rolled_back_to(previous)
        marks = session.info.get(_MARKS, {})
        if boundary.parent is None:
            session.info.pop(_KEY, None)
            session.info.pop(_MARKS, None)
        elif boundary in marks:
            del session.info.get(_KEY, [])[marks.pop(boundary) :]


def _rolled_back_to(transaction: SessionTransaction) -> SessionTransaction:
    """The savepoint (or the whole transaction) a rollback undid: a failed flush rolls back
    its internal subtransaction, which undoes everything up to the nearest savepoint."""
    while transaction.parent is not None and not transaction.nested:
        transaction = transaction.parent
    return transaction
