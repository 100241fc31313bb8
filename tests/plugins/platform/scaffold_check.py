"""Run in a subprocess whose path includes a freshly scaffolded plugin: exercise it end to end.

Kept out of the pytest process so that the plugin's entry point never leaks into other
tests. Prints one JSON line with what it observed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import dramatiq
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pitstop.app import create_app
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.outbox import emit
from pitstop.processes import bind_actors
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant
from pitstop.worker.dispatch import QUEUE
from tests.support.demo import provision_demo
from tests.support.events import completed_order


async def main(name: str) -> dict[str, object]:
    runtime = Runtime.build(Settings.from_env(), poolclass=NullPool)
    bind_actors(runtime)
    worker = dramatiq.Worker(runtime.broker, worker_threads=1, worker_timeout=50)
    worker.start()
    observed: dict[str, object] = {"loaded": name in runtime.plugins.plugins}
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            demo = await provision_demo(runtime, client)
            headers = await demo.headers("hq_admin")
            url = f"/api/v1/{name}/notes"
            observed["before_enable"] = (await client.get(url, headers=headers)).status_code
            put = await client.put(
                f"/api/v1/plugins/{name}", json={"enabled": True}, headers=headers
            )
            observed["enable"] = put.status_code
            customer = await client.post(
                "/api/v1/customers", json={"name": "张三", "phone": "13900001234"}, headers=headers
            )
            customer_id = customer.json()["id"]
            async with runtime.sessions() as session, session.begin():
                tenant = (
                    await session.scalars(select(Tenant).where(Tenant.slug == "demo-chain"))
                ).one()
                with tenant_scope(tenant.id):
                    await emit(
                        session,
                        "service_order.completed",
                        completed_order(total=4200, customer_id=uuid.UUID(customer_id)),
                    )
            await asyncio.to_thread(runtime.broker.join, QUEUE, timeout=30_000)
            response = await client.get(url, headers=headers)
            observed["route"] = response.status_code
            observed["notes"] = [n["text"] for n in response.json()["items"]]
    finally:
        worker.stop()
        await runtime.close()
    return observed


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
