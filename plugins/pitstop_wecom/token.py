"""The WeCom server API's access token: fetched with corpid + secret, cached until it
is close to expiring, fetched again at once when WeCom says it is no longer valid.

WeCom allows few ``gettoken`` calls per enterprise and expects a caller to keep the token
(7,200 s) rather than ask for each message, so it is cached per (API base, corp, secret)
in the process. The secret is the key's hash only: the cache holds no secret.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import httpx

from pitstop.sdk import ChannelFailed

from .settings import WecomSettings

MARGIN_S = 300.0
"""Fetch a new token this long before WeCom's ``expires_in`` runs out."""
EXPIRED_CODES = frozenset({40014, 42001, 40082})
"""invalid access_token, access_token expired, invalid suite token: fetch a new one."""
CREDENTIAL_CODES = frozenset({40001, 40013, 40056, 40091, 48001})
"""Wrong secret or corp id, or the app lacks the API: retrying will not help."""


def _key(settings: WecomSettings) -> str:
    secret = hashlib.sha256(settings.contact_secret.encode()).hexdigest()
    return f"{settings.api_base}|{settings.corp_id}|{secret}"


class Tokens:
    """One process's cached tokens. ``clock`` is monotonic seconds (a test moves it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def forget(self, settings: WecomSettings) -> None:
        self._tokens.pop(_key(settings), None)

    async def get(self, client: httpx.AsyncClient, settings: WecomSettings) -> str:
        key = _key(settings)
        cached = self._tokens.get(key)
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        answer = await _fetch(client, settings)
        token = str(answer.get("access_token") or "")
        lifetime = float(answer.get("expires_in") or 7200)
        self._tokens[key] = (token, self._clock() + max(0.0, lifetime - MARGIN_S))
        return token


async def _fetch(client: httpx.AsyncClient, settings: WecomSettings) -> dict[str, Any]:
    url = f"{settings.api_base}/cgi-bin/gettoken"
    params = {"corpid": settings.corp_id, "corpsecret": settings.contact_secret}
    try:
        response = await client.get(url, params=params)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        raise ChannelFailed("wecom: gettoken did not answer", retry=True) from None
    code = answer.get("errcode", 0) if isinstance(answer, dict) else None
    if response.status_code == 200 and code == 0 and answer.get("access_token"):
        return dict(answer)
    if code in CREDENTIAL_CODES:
        raise ChannelFailed(f"wecom: gettoken refused (errcode {code})", retry=False)
    raise ChannelFailed(
        f"wecom: gettoken answered {response.status_code} errcode {code}", retry=True
    )
