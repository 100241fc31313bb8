"""Sending the platform's messages by actor name.

An API process only ever *sends* (an event nudge, a deferred plugin task); the actors that
*process* are registered only where workers run (:mod:`pitstop.worker.actors`). Sending by
name keeps the API free of actor objects and of the broker-before-import ordering trap.
Every message carries its tenant in ``options``; the worker's tenant middleware restores it.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from dramatiq import Message
from dramatiq.broker import Broker

QUEUE = "pitstop"
TENANT_OPTION = "pitstop_tenant"
PUBLISH = "pitstop.publish_event"
DELIVER = "pitstop.deliver_event"
RUN_TASK = "pitstop.run_task"
RUN_SCHEDULE = "pitstop.run_schedule"
SEND_MESSAGE = "pitstop.send_message"
RUN_CORE_JOB = "pitstop.run_core_job"

log = structlog.get_logger("pitstop.dispatch")


class Dispatcher:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        broker.declare_queue(QUEUE)

    def send(
        self,
        actor: str,
        tenant_id: uuid.UUID,
        args: tuple[Any, ...],
        *,
        delay_ms: int = 0,
        max_retries: int | None = None,
    ) -> None:
        options: dict[str, Any] = {TENANT_OPTION: str(tenant_id)}
        if max_retries is not None:
            options["max_retries"] = max_retries
        message: Message[Any] = Message(
            queue_name=QUEUE, actor_name=actor, args=args, kwargs={}, options=options
        )
        self.broker.enqueue(message, delay=delay_ms or None)

    def publish(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> None:
        """The outbox's after-commit nudge; a broker outage is left to the sweep."""
        try:
            self.send(PUBLISH, tenant_id, (str(event_id),))
        except Exception as exc:
            log.warning("event_nudge_failed", event_id=str(event_id), error=type(exc).__name__)

    def deliver(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        self.send(DELIVER, tenant_id, (str(delivery_id),))

    def task(
        self,
        tenant_id: uuid.UUID,
        plugin: str,
        task: str,
        arguments: dict[str, Any],
        delay_ms: int,
    ) -> None:
        self.send(RUN_TASK, tenant_id, (plugin, task, arguments), delay_ms=delay_ms)

    def message(self, tenant_id: uuid.UUID, message_id: uuid.UUID, delay_ms: int = 0) -> None:
        """A queued message to send; its id is all the broker ever sees of it."""
        self.send(SEND_MESSAGE, tenant_id, (str(message_id),), delay_ms=delay_ms)

    def schedule(self, tenant_id: uuid.UUID, plugin: str, schedule: str) -> None:
        self.send(RUN_SCHEDULE, tenant_id, (plugin, schedule), max_retries=0)

    def core_job(self, tenant_id: uuid.UUID, job: str) -> None:
        """One tenant's run of a core nightly job (``worker/core_jobs.py``)."""
        self.send(RUN_CORE_JOB, tenant_id, (job,), max_retries=0)
