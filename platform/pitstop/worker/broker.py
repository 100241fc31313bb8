"""Broker set-up: Redis in production, Dramatiq's StubBroker with in-process threads embedded.

The broker must be chosen before any actor module is imported, because ``@dramatiq.actor``
binds to the global broker at import time. Everything that declares actors therefore
imports them through :func:`setup_broker`'s caller, after this has run.
"""

from __future__ import annotations

import dramatiq
from dramatiq.broker import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, CurrentMessage

from pitstop.settings import Settings


def build_broker(settings: Settings) -> Broker:
    broker: Broker
    if settings.redis_url is None:
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        broker = RedisBroker(url=settings.redis_url, namespace="pitstop")
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(AsyncIO())
    return broker


def setup_broker(settings: Settings) -> Broker:
    broker = build_broker(settings)
    dramatiq.set_broker(broker)
    return broker


def broker_ok(broker: Broker) -> bool:
    """Readiness: can we reach the broker right now?"""
    if isinstance(broker, RedisBroker):
        try:
            return bool(broker.client.ping())
        except Exception:
            return False
    return True
