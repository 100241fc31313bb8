"""A person at the web console in a plugin's test: the session cookie, not a bearer token.

Console pages take the session cookie only (the API takes only the bearer header), and
every post must carry the CSRF token a browser reads from the page's form. This client
keeps its own cookie jar, puts the role's current token in the session cookie before each
request (renewed by the kit's clock as :class:`RoleClient` renews it), and adds the CSRF
token to every post, so a plugin tests its pages exactly as a browser would use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from pitstop.console.router import CSRF_COOKIE
from pitstop.console.session import ACCESS_COOKIE
from pitstop.testing.client import RoleClient

CSRF_FIELD = "_csrf_token"


class ConsoleClient:
    """``get`` and ``post`` (form fields) on console pages, as one role in a browser.
    Redirects are not followed: a test sees the 303 a form post answers."""

    def __init__(self, app: Litestar, role: RoleClient) -> None:
        self.http = AsyncTestClient(app=app)  # not entered: the kit's client runs the lifespan
        self._role = role

    async def _signed_in(self) -> None:
        token = (await self._role.headers())["Authorization"].removeprefix("Bearer ")
        self.http.cookies.set(ACCESS_COOKIE, token)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        await self._signed_in()
        return await self.http.get(path, follow_redirects=False, **kwargs)

    async def post(
        self,
        path: str,
        data: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        *,
        csrf: bool = True,
    ) -> httpx.Response:
        """A form post; ``csrf=False`` leaves the token out (to see the refusal)."""
        await self._signed_in()
        pairs = list(data.items()) if isinstance(data, Mapping) else list(data)
        if csrf:
            if CSRF_COOKIE not in self.http.cookies:
                await self.http.get("/console/login")
            pairs.insert(0, (CSRF_FIELD, self.http.cookies[CSRF_COOKIE]))
        fields: dict[str, list[str]] = {}
        for name, value in pairs:
            fields.setdefault(name, []).append(value)
        return await self.http.post(path, data=fields, follow_redirects=False)
