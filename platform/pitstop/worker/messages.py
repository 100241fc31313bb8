"""The ``pitstop.send_message`` actor's work: one queued message, one or two transactions.

The broker message holds the message id only (the tenant rides in its options). An
idempotent channel is called inside the transaction that records its answer; any other
channel's try is claimed and committed first, the provider called with no transaction
open, and the answer recorded in a second one (:mod:`pitstop.messaging.sending`). What
the send did is committed before anything is raised, so a retry sees the attempt counted; a
message still inside quiet hours when it arrives (a broker that delivered early, a clock
moved back) is sent back to the broker for the rest of the wait.
"""

from __future__ import annotations

import uuid

from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import current_tenant_id
from pitstop.messaging.sending import MAX_ATTEMPTS, Outcome, Prepared, Result, call, prepare, settle
from pitstop.plugin_host.manager import PluginHost
from pitstop.plugin_host.notify import channels_for
from pitstop.worker.dispatch import Dispatcher

MAX_SENDS = MAX_ATTEMPTS - 1
"""Broker retries after the first try: the channel is asked at most MAX_ATTEMPTS times."""


class SendAgain(Exception):
    """The channel failed in a way that may pass: Dramatiq retries with backoff."""


async def send_message(
    message_id: uuid.UUID,
    *,
    sessions: SessionFactory,
    plugins: PluginHost,
    clock: Clock,
    dispatch: Dispatcher,
) -> None:
    tenant_id = current_tenant_id()  # fail closed: a message without a tenant does nothing
    async with sessions() as session, session.begin():
        available = await channels_for(plugins, session)
        step: Result | Prepared = await prepare(
            session, message_id, channels=available, now=clock(), sealer=plugins.sealer
        )
        if isinstance(step, Prepared) and not step.claimed:
            step = await settle(session, step, await call(step), clock())
    if isinstance(step, Prepared):  # the claim is committed: only now may the provider see it
        answer = await call(step)
        async with sessions() as session, session.begin():
            step = await settle(session, step, answer, clock())
    result = step
    if result.outcome is Outcome.wait:
        dispatch.message(tenant_id, message_id, int(result.delay.total_seconds() * 1000))
    elif result.outcome is Outcome.retry:
        raise SendAgain(f"message {message_id}: channel failed, retrying")
