"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL runs as a throwaway server (tests/support/servers.py) with the production role
split: migrations run as ``pitstop_owner``; the app connects as ``pitstop_app``, which owns
nothing and lacks BYPASSRLS, so row-level security is exercised by every test.
SQLite databases are copied from one migrated template per session (fast and real).
The demo tenants are provisioned once per session and restored into each test that asks
for them (tests/support/demo_snapshots.py).

A test that reaches the PostgreSQL or Redis server carries the ``postgres`` / ``redis``
marker, so ``pytest -m "not postgres and not redis"`` runs without either; the
``postgres`` parameter of ``backend`` carries its marker itself, and
tests/support/markers.py fails collection when a marker is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from pitstop.bootstrap.migrate import upgrade
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.testing.apps import APPS
from pitstop.testing.pool import HomeLoopPool

pytest_plugins = [
    "pytester",
    "tests.support.services",
    "tests.support.markers",
    "tests.support.signatures",
]

SECRET = "test-secret-key-that-is-long-enough-0123456789"
POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
BACKENDS = ["sqlite", POSTGRES]
ON_POSTGRES = pytest.mark.parametrize("backend", [POSTGRES], indirect=True)
"""For a module or test that is a PostgreSQL matter only (RLS, plans, real concurrency)."""


def make_settings(tmp: Path, database_url: str, migration_url: str | None = None) -> Settings:
    return Settings.from_env(
        {
            "PITSTOP_VAR_DIR": str(tmp),
            "PITSTOP_DATABASE_URL": database_url,
            "PITSTOP_MIGRATION_DATABASE_URL": migration_url or database_url,
            "PITSTOP_SECRET_KEY": SECRET,
            "PITSTOP_LOG_LEVEL": "WARNING",
        }
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sqlite-template")
    path = tmp / "template.db"
    upgrade(make_settings(tmp, f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated database with the owner/app role split; tests truncate between runs."""
    server = postgres_server
    for statement in (
        "CREATE ROLE pitstop_owner LOGIN",
        "CREATE ROLE pitstop_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        "CREATE DATABASE pitstop_test OWNER pitstop_owner",
    ):
        server.execute(statement)
    server.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC", dbname="pitstop_test")
    server.execute("ALTER SCHEMA public OWNER TO pitstop_owner", dbname="pitstop_test")
    settings = make_settings(
        tmp_path_factory.mktemp("pg"),
        server.dsn("pitstop_test", user="pitstop_app"),
        server.dsn("pitstop_test", user="pitstop_owner"),
    )
    upgrade(settings)
    return settings


async def _truncate_postgres(settings: Settings) -> None:
    from pitstop.db.engine import create_engine

    engine = create_engine(settings.migration_database_url, poolclass=None)
    try:
        async with engine.begin() as connection:
            tables = (
                await connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        " AND tablename NOT LIKE 'alembic%'"
                    )
                )
            ).scalars()
            names = ", ".join(f'"{t}"' for t in tables)
            if names:
                await connection.execute(text(f"TRUNCATE {names} CASCADE"))
    finally:
        await engine.dispose()


_EMPTY_POSTGRES = """
DO $$
DECLARE tables text;
BEGIN
    SELECT string_agg(format('public.%I', tablename), ', ') INTO tables
    FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'alembic%';
    IF tables IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || tables || ' CASCADE';
    END IF;
END $$
"""


class PostgresEmptier:
    """Empties the tests' database between tests, as the superuser, in one round trip.

    TRUNCATE, not DELETE: DELETE was four times faster (35 ms against 150 ms) but left each
    table's statistics as the earlier tests made them, so a plan test's verdict depended
    on which tests its worker had run before it (tests/insights/test_filter_plans.py saw a
    stale row count on an empty service_orders). TRUNCATE resets them. The tables are
    listed each time, so one a test migrates in is emptied too.
    """

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn

    async def __call__(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.admin_dsn)
        try:
            await connection.execute(_EMPTY_POSTGRES)
        finally:
            await connection.close()


@pytest.fixture(scope="session")
def empty_postgres(postgres_server: Any, postgres_database: Settings) -> PostgresEmptier:
    return PostgresEmptier(postgres_server.dsn("pitstop_test", driver="postgresql"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def settings(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Settings]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "pitstop.db"
        shutil.copyfile(template, path)
        yield make_settings(tmp_path, f"sqlite+aiosqlite:///{path}")
    else:
        from tests.support.markers import require_mark

        require_mark("postgres", "reaches the PostgreSQL server", request.node)
        pg: Settings = request.getfixturevalue("postgres_database")
        await request.getfixturevalue("empty_postgres")()
        yield pg


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    # Connections are kept for this test's loop only: a worker's loop never gets one.
    rt = Runtime.build(settings, poolclass=HomeLoopPool)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
def census(runtime: Runtime, request: pytest.FixtureRequest) -> Any:
    """Whole-table row counts across tenants, read above the walls (tests/support/census.py)."""
    from tests.support.census import Census

    server = request.getfixturevalue("postgres_server") if runtime.settings.is_postgres else None
    return Census(runtime, server)


@pytest.fixture
def app(runtime: Runtime) -> Iterator[Litestar]:
    """The app serving this test's runtime: built once per plugin set and process, and
    pointed at each test's runtime in turn (pitstop/testing/apps.py)."""
    with APPS.lease(runtime) as leased:
        yield leased


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def tenants_dir() -> Iterator[Path]:
    yield Path(__file__).resolve().parents[1] / "tenants"


@pytest.fixture(scope="session")
def demo_snapshots_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.support.demo_snapshots import SqliteSnapshots

    return SqliteSnapshots(tmp_path_factory.mktemp("demo-snapshots"))


@pytest.fixture(scope="session")
def demo_snapshots_postgres(postgres_server: Any, postgres_database: Settings) -> Any:
    from tests.support.demo_snapshots import PostgresSnapshots

    return PostgresSnapshots(postgres_server.dsn("pitstop_test", driver="postgresql"))


@pytest.fixture
async def demo(
    runtime: Runtime, client: AsyncTestClient[Litestar], request: pytest.FixtureRequest
) -> Any:
    """The demo chain and shop from tenants/, every login's password set.

    Provisioned once per session and plugin set, then restored (see demo_snapshots.py).
    """
    from tests.support.demo import Demo
    from tests.support.demo_snapshots import install_demo

    backend = "postgres" if runtime.settings.is_postgres else "sqlite"
    await install_demo(runtime, request.getfixturevalue(f"demo_snapshots_{backend}"))
    return Demo(runtime, client)


class Drain:
    """Run the broker's queued messages to completion (StubBroker + a real Worker).

    Done means the immediate queue is empty and nothing deferred is due within
    ``HORIZON_MS`` (a retry's backoff): work deferred further (a follow-up call a week
    ahead) stays queued, as on a real broker, until a test releases it.
    """

    HORIZON_MS = 30_000

    def __init__(self, broker: Any) -> None:
        from dramatiq.common import current_millis

        self.broker, self.etas = broker, list[int]()
        enqueue = broker.enqueue

        def recording(message: Any, *, delay: int | None = None) -> Any:
            if delay:
                self.etas.append(current_millis() + delay)
            return enqueue(message, delay=delay)

        broker.enqueue = recording  # each test builds its own broker

    async def __call__(self, *, fail_fast: bool = True) -> None:
        import asyncio

        await asyncio.to_thread(self._join, fail_fast)

    def _join(self, fail_fast: bool) -> None:
        import time

        from dramatiq.common import current_millis, dq_name, join_queue
        from dramatiq.errors import QueueJoinTimeout

        from pitstop.worker.dispatch import QUEUE

        deadline = time.monotonic() + 60
        queue, deferred = self.broker.queues[QUEUE], self.broker.queues[dq_name(QUEUE)]
        while True:
            join_queue(queue, timeout=max(deadline - time.monotonic(), 0.001))
            later = sum(1 for eta in self.etas if eta > current_millis() + self.HORIZON_MS)
            if deferred.unfinished_tasks <= later and not queue.unfinished_tasks:
                break  # everything due soon has been released and run
            if time.monotonic() > deadline:
                raise QueueJoinTimeout("deferred messages were not released within 60 s")
            time.sleep(0.05)  # the worker releases a due message on its next turn
        if fail_fast:
            for message in self.broker.dead_letters_by_queue[QUEUE]:
                raise message._exception or Exception("message failed") from None


@contextmanager
def running_worker(runtime: Runtime) -> Iterator[Drain]:
    """Dramatiq worker threads bound to ``runtime``; ``await drain()`` runs the queue dry."""
    import dramatiq

    from pitstop.processes import bind_actors

    if not runtime.broker.actors:
        bind_actors(runtime)
    dramatiq_worker = dramatiq.Worker(runtime.broker, worker_threads=2, worker_timeout=50)
    dramatiq_worker.start()
    try:
        yield Drain(runtime.broker)
    finally:
        dramatiq_worker.stop()


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[Drain]:
    """A running worker for the whole test (see :func:`running_worker`)."""
    with running_worker(runtime) as drain:
        yield drain
