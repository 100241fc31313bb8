"""A bare Dramatiq no-op actor on Redis: the floor the platform's delivery is measured against.

Run as ``python -m dramatiq tests.bench.noop_actor``; the actor only counts itself in Redis
so the benchmark can tell when every message has been processed.
"""

from __future__ import annotations

import os

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

URL = os.environ["BENCH_REDIS_URL"]
broker = RedisBroker(url=URL, namespace="bench")
dramatiq.set_broker(broker)
counter = redis.Redis.from_url(URL)


@dramatiq.actor(queue_name="bench", max_retries=0)
def noop() -> None:
    counter.incr("bench:done")
