"""Broker set-up: Redis in production, Dramatiq's StubBroker with in-process threads embedded.

Pitstop's actors are never declared at import time: :mod:`pitstop.worker.actors` binds them
to a runtime's broker explicitly, so the "set the broker before importing actors" trap of
``@dramatiq.actor`` cannot bite, and two runtimes in one test process never share actors.
"""

from __future__ import annotations

from dramatiq.broker import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, CurrentMessage

from pitstop.settings import Settings
from pitstop.worker.middleware import TenantMiddleware

MAINTENANCE_CHANCE = 50_000
"""Per million broker commands: how often a worker requeues a dead worker's messages.
Dramatiq's default (1,000) can leave a killed worker's messages waiting for many minutes."""


class EmbeddedBroker(StubBroker):
    """The in-process broker, with its delay queues consumed as delay queues.

    StubBroker lists ``pitstop.DQ`` among its ordinary queues too, so a Worker consumes it
    with the ordinary prefetch (two per thread): a few timers due days from now would then
    hold every slot and stall every other delayed message behind them.
    """

    def get_declared_queues(self) -> set[str]:
        return set(self.queues) - self.delay_queues


def build_broker(settings: Settings) -> Broker:
    broker: Broker
    if settings.redis_url is None:
        broker = EmbeddedBroker()
        broker.emit_after("process_boot")
    else:
        broker = RedisBroker(
            url=settings.redis_url,
            namespace="pitstop",
            heartbeat_timeout=settings.broker_heartbeat_ms,
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(TenantMiddleware())
    broker.add_middleware(AsyncIO())
    return broker


def broker_ok(broker: Broker) -> bool:
    """Readiness: can we reach the broker right now?"""
    if isinstance(broker, RedisBroker):
        try:
            return bool(broker.client.ping())
        except Exception:
            return False
    return True
