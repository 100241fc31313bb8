"""The worker's edge wall: restore the tenant a message was sent for, before the actor runs.

Like Dramatiq's ``CurrentMessage``, a contextvar is set in ``before_process_message`` and
reset afterwards. The AsyncIO middleware runs async actors on its event-loop thread, but
the task is created from the worker thread's context, so the tenant set here is the one
the actor sees. A message with no tenant runs with none: tenant data then fails closed.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from typing import Any

import structlog
from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy

from pitstop.db.tenant_context import tenant_scope
from pitstop.worker.dispatch import TENANT_OPTION


class TenantMiddleware(Middleware):
    def __init__(self) -> None:
        self._scopes: dict[str, ExitStack] = {}

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        raw = message.options.get(TENANT_OPTION)
        stack = ExitStack()
        stack.enter_context(structlog.contextvars.bound_contextvars(message_id=message.message_id))
        if raw:
            tenant_id = uuid.UUID(str(raw))
            stack.enter_context(tenant_scope(tenant_id))
            stack.enter_context(structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)))
        self._scopes[message.message_id] = stack

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        stack = self._scopes.pop(message.message_id, None)
        if stack is not None:
            stack.close()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self.after_process_message(broker, message)
