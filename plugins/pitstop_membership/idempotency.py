"""``Idempotency-Key`` on mutating calls: a retried request gets the first answer.

The front desk's tablet loses its connection after tapping "redeem"; it retries. With the
same key and the same body the retry returns what the first call returned and spends
nothing twice. The same key with a different body (or on another route) is a client bug
and answers 409 ``idempotency_conflict`` rather than guessing which one was meant.

The key is claimed (inserted) *before* the work, inside a savepoint: on PostgreSQL a
concurrent request with the same key blocks on the unique index until the first commits,
then finds its answer. Only successful answers are kept: an error rolls the whole request
back, key included, so a corrected retry with the same key can still succeed.

The answer is kept unmasked and served again through its response shape, so a replay is
masked for whoever replays it, exactly like the first answer was for its caller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pitstop.sdk import (
    Conflict,
    PluginContext,
    Unprocessable,
    from_builtins,
    unmasked_builtins,
)
from pitstop_membership.models import IdempotentRequest

REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200

Answer = TypeVar("Answer", bound=msgspec.Struct)
Work = Callable[[], Awaitable[tuple[int, Answer]]]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = msgspec.json.encode([method, path, msgspec.to_builtins(body)], order="sorted")
    return hashlib.sha256(canonical).hexdigest()


async def _find(ctx: PluginContext, key: str) -> IdempotentRequest | None:
    statement = select(IdempotentRequest).where(IdempotentRequest.key == key)
    return (await ctx.session.scalars(statement)).one_or_none()


def _replay(row: IdempotentRequest, digest: str, shape: type[Answer]) -> Response[Answer]:
    if row.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used with a different request",
            code="idempotency_conflict",
        )
    body = from_builtins(row.body, shape)
    return Response(body, status_code=row.status, headers={REPLAYED_HEADER: "true"})


async def _claim(ctx: PluginContext, key: str, digest: str) -> IdempotentRequest | None:
    """Insert the key; None when another request holds it (then replay its answer)."""
    row = IdempotentRequest(key=key, request_hash=digest, status=0, body={}, created_at=ctx.now())
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(row)
            await ctx.session.flush()
    except IntegrityError:
        return None
    return row


async def idempotent(
    ctx: PluginContext, key: str | None, digest: str, work: Work[Answer], shape: type[Answer]
) -> Response[Answer]:
    """Run ``work`` once per key; ``work`` returns (status, answer of type ``shape``)."""
    if key is None:
        status, body = await work()
        return Response(body, status_code=status)
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Unprocessable.field("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    existing = await _find(ctx, key)
    if existing is not None:
        return _replay(existing, digest, shape)
    row = await _claim(ctx, key, digest)
    if row is None:
        existing = await _find(ctx, key)
        if existing is None:
            raise Conflict("the same Idempotency-Key is in flight", code="idempotency_conflict")
        return _replay(existing, digest, shape)
    status, body = await work()
    row.status, row.body = status, unmasked_builtins(body)
    return Response(body, status_code=status)
