"""HTTP API of logging in: tokens, refresh, log out, accepting an invite, passwords.

Every route but log out is public: the credentials in the body are the authentication.
The services open transactions of their own (a failed login is counted even though the
login's transaction rolls back), so these handlers ask for the session factory, not a
request transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from pitstop.access.principal import Principal
from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.errors import Unauthorized, Unprocessable
from pitstop.identity.invites import redeem_password
from pitstop.identity.login import (
    Credentials,
    accept_invite,
    change_password,
    issue_login_token,
)
from pitstop.identity.refresh import IssuedSession, end_session, refresh_session
from pitstop.identity.schemas import (
    AcceptRequest,
    ChangePasswordRequest,
    RefreshRequest,
    SetPasswordRequest,
    TokenRequest,
    TokenResponse,
)
from pitstop.settings import Settings


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer as the server reports it: uvicorn replaces it with ``X-Forwarded-For``
    only when the peer is one of ``PITSTOP_TRUSTED_PROXIES`` (see ``serve.py``)."""
    return request.client.host if request.client else "unknown"


def _credentials(
    data: TokenRequest | AcceptRequest | ChangePasswordRequest, request: Request[Any, Any, Any]
) -> Credentials:
    return Credentials(data.tenant, data.email, data.password, client_address(request))


def _tokens(issued: IssuedSession) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", status_code=200, opt={"public": True})
    async def token(
        self,
        data: JSONBody[TokenRequest],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        """Opens a session: an access token and a refresh token (see ``/auth/refresh``)."""
        issued = await issue_login_token(
            _credentials(data, request), sessions=sessions, settings=settings, now=clock()
        )
        return _tokens(issued)

    @post("/refresh", status_code=200, opt={"public": True})
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> TokenResponse:
        """A new access and refresh token for a refresh token, which is then spent; a spent
        one presented again ends the whole session. Authenticated by the refresh token."""
        issued = await refresh_session(
            data.refresh_token, sessions=sessions, settings=settings, now=clock()
        )
        return _tokens(issued)

    @post("/logout", status_code=204, opt={"session": True})
    async def logout(
        self,
        principal: NamedDependency[Principal],
        sessions: NamedDependency[SessionFactory],
        clock: NamedDependency[Clock],
    ) -> None:
        """Ends the session of the access token used: it and its refresh token stop working."""
        if principal.session_id is None:
            raise Unprocessable.field(
                "authorization", "only a login session can log out; revoke API keys instead"
            )
        await end_session(principal.session_id, sessions=sessions, now=clock())

    @post("/accept", status_code=200, opt={"public": True})
    async def accept(
        self,
        data: JSONBody[AcceptRequest],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        request: Request[Any, Any, Any],
    ) -> TokenResponse:
        """Join a tenant that hired you: your own password plus the invite it gave you."""
        issued = await accept_invite(
            _credentials(data, request),
            data.token,
            sessions=sessions,
            settings=settings,
            now=clock(),
        )
        return _tokens(issued)

    @post("/change-password", status_code=204, opt={"public": True})
    async def change_password(
        self,
        data: JSONBody[ChangePasswordRequest],
        sessions: NamedDependency[SessionFactory],
        clock: NamedDependency[Clock],
        request: Request[Any, Any, Any],
    ) -> None:
        """Takes what logging in takes; every token issued before stops working."""
        await change_password(
            _credentials(data, request), data.new_password, sessions=sessions, now=clock()
        )

    @post("/set-password", status_code=204, opt={"public": True})
    async def set_password(
        self,
        data: JSONBody[SetPasswordRequest],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> None:
        """Redeem an invite for a first password; the same 401 for every token that may not."""
        redeemed = await redeem_password(
            sessions=sessions,
            secret_key=settings.secret_key,
            now=clock(),
            tenant_slug=data.tenant,
            token=data.token,
            password=data.password,
        )
        if not redeemed:
            raise Unauthorized("the token is invalid or expired", code="invalid_token")
