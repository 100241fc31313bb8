"""Work that must happen only once a transaction has committed (and never if it rolls back).

Broker messages are the case in point: an event nudge or a deferred plugin task sent
before the commit could be processed before the rows it names are visible, and one sent
for a transaction that then rolls back would act on nothing. Callbacks are kept on the
session and run after commit; a failing callback is logged and never undoes the commit
(the relay's sweep and the complaint sweep are the backstops for lost messages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = structlog.get_logger("pitstop.db")
_KEY = "pitstop_on_commit"


def on_commit(session: AsyncSession | Session, callback: Callable[[], Any]) -> None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_KEY, []).append(callback)


def install_on_commit(session_class: type[Session]) -> None:
    @event.listens_for(session_class, "after_commit")
    def _run(session: Session) -> None:
        for callback in session.info.pop(_KEY, []):
            try:
                callback()
            except Exception:
                log.exception("after_commit_callback_failed")

    @event.listens_for(session_class, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_KEY, None)
