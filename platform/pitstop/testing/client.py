"""A test client signed in as one role of the kit's tenant.

Sessions are minted from the membership rather than by logging in: a login verifies an
argon2 hash (a fifth of a second each), which would dominate a plugin's test time while
testing nothing of the plugin. Tokens expire by the kit's clock like any other, so a
client whose token the clock has outrun is given a fresh one before its next request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

TokenMinter = Callable[[], Awaitable[str]]
RENEW_BEFORE = dt.timedelta(minutes=1)


class RoleClient:
    """``get/post/put/patch/delete/request`` as on an httpx client, with the role's token."""

    def __init__(
        self,
        http: AsyncTestClient[Litestar],
        mint: TokenMinter,
        clock: Callable[[], dt.datetime],
        ttl_seconds: int,
    ) -> None:
        self.http, self._mint, self._clock = http, mint, clock
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._token: tuple[str, dt.datetime] | None = None

    async def headers(self) -> dict[str, str]:
        """The Authorization header, for a call made with another client."""
        now = self._clock()
        if self._token is None or not (
            self._token[1] <= now < self._token[1] + self._ttl - RENEW_BEFORE
        ):
            self._token = (await self._mint(), now)
        return {"Authorization": f"Bearer {self._token[0]}"}

    def _fresh(self, minted: dt.datetime, now: dt.datetime) -> bool:
        return minted <= now < minted + self._ttl - RENEW_BEFORE

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**await self.headers(), **(kwargs.pop("headers", None) or {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)
