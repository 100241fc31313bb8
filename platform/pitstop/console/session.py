"""Signing in and out of the console: the identity service's login in a cookie.

Sign-in calls the same :func:`~pitstop.identity.login.issue_login_token` as
``POST /api/v1/auth/token``, so lock-out, the one indistinguishable refusal and the audit
of password events are the API's. The access token goes in an HttpOnly, SameSite=Lax cookie
scoped to ``/console`` (Secure unless the deployment is embedded, which serves plain HTTP
on the loopback), and the edge reads it only on console routes
(``identity.edge.COOKIE_CREDENTIAL``). The refresh token lives in a second cookie scoped to
``/console/session``, sent only to the renew route: when the access token expires, the
page redirects there, the session is rotated exactly as ``/auth/refresh`` rotates it, and
the person lands back where they were.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.console import i18n
from pitstop.console.i18n import N_
from pitstop.console.view import Desk
from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.errors import ApiError, TooManyRequests
from pitstop.identity import staff_admin
from pitstop.identity.login import Credentials, issue_login_token
from pitstop.identity.refresh import IssuedSession, end_session, refresh_session
from pitstop.settings import Settings

ACCESS_COOKIE = "pitstop_console"
RENEW_COOKIE = "pitstop_console_renew"
RENEW_PATH = "/console/session"
HOME = "/console/"


def safe_next(target: str | None) -> str:
    """Only a console path: a login link must not send anyone to another site."""
    if not target or not target.startswith("/console/") or target.startswith("//"):
        return HOME
    return target


def renew_url(path: str) -> str:
    return f"{RENEW_PATH}/renew?next={quote(safe_next(path), safe='/')}"


def _cookies(settings: Settings, issued: IssuedSession | None) -> list[Cookie]:
    """Both session cookies, set (``issued``) or expired (None)."""
    secure = not settings.embedded
    common: dict[str, Any] = {"httponly": True, "samesite": "lax", "secure": secure}
    if issued is None:
        return [
            Cookie(key=ACCESS_COOKIE, value="", path="/console", max_age=0, **common),
            Cookie(key=RENEW_COOKIE, value="", path=RENEW_PATH, max_age=0, **common),
        ]
    return [
        Cookie(
            key=ACCESS_COOKIE,
            value=issued.access_token,
            path="/console",
            max_age=issued.expires_in,
            **common,
        ),
        Cookie(
            key=RENEW_COOKIE,
            value=issued.refresh_token,
            path=RENEW_PATH,
            max_age=issued.refresh_expires_in,
            **common,
        ),
    ]


def _login_page(desk: Desk, status: int = 200, **context: Any) -> Template:
    return desk.page("login.html", status, **context)


class SessionController(Controller):
    path = "/"

    @get("/login", opt={"public": True})
    async def login_form(
        self, desk: NamedDependency[Desk], next: FromQuery[str | None] = None
    ) -> Template:
        return _login_page(desk, next=safe_next(next), form={})

    @post("/login", opt={"public": True})
    async def login(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        form = await request.form()
        tenant, email = str(form.get("tenant", "")).strip(), str(form.get("email", "")).strip()
        target = safe_next(str(form.get("next", "")))
        client = request.client.host if request.client else "unknown"
        credentials = Credentials(tenant, email, str(form.get("password", "")), client)
        if not (tenant and email and credentials.password):
            form_values = {"tenant": tenant, "email": email}
            message = N_("Enter the tenant, e-mail and password.")
            return _login_page(desk, 422, next=target, form=form_values, message=message)
        try:
            issued = await issue_login_token(
                credentials, sessions=sessions, settings=settings, now=clock()
            )
        except ApiError as exc:
            message = (
                N_("Too many failed sign-ins. Try again later.")
                if isinstance(exc, TooManyRequests)
                else N_("Wrong tenant, e-mail or password.")
            )
            form_values = {"tenant": tenant, "email": email}
            return _login_page(desk, exc.status, next=target, form=form_values, message=message)
        async with sessions() as session:  # their language follows them (users.language)
            chosen = await staff_admin.language_of(session, email)
        cookies = _cookies(settings, issued) + ([_language_cookie(chosen)] if chosen else [])
        return Redirect(target, status_code=303, cookies=cookies)

    @post("/logout", opt={"session": True})
    async def logout(
        self,
        principal: NamedDependency[Principal],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Ends the session as ``/auth/logout`` does; both cookies are expired."""
        if principal.session_id is not None:
            await end_session(principal.session_id, sessions=sessions, now=clock())
        return Redirect("/console/login", status_code=303, cookies=_cookies(settings, None))

    @get("/session/renew", opt={"public": True})
    async def renew(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[SessionFactory],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        next: FromQuery[str | None] = None,
    ) -> Redirect:
        """A new access token for the refresh cookie, rotated as ``/auth/refresh`` does."""
        target = safe_next(next)
        presented = request.cookies.get(RENEW_COOKIE)
        if presented:
            try:
                issued = await refresh_session(
                    presented, sessions=sessions, settings=settings, now=clock()
                )
            except ApiError:
                pass
            else:
                return Redirect(target, status_code=303, cookies=_cookies(settings, issued))
        login = f"/console/login?next={quote(target, safe='/')}"
        return Redirect(login, status_code=303, cookies=_cookies(settings, None))

    @post("/language", opt={"public": True})
    async def language(self, request: Request[Any, Any, Any]) -> Redirect:
        """The reader's language for this browser (a cookie; the default is Chinese): the
        switch on the sign-in page, before anyone is known."""
        _, back = await _language_form(request)
        return back

    @post("/me/language", opt={"authenticated": True})
    async def my_language(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> Redirect:
        """A signed-in person's language: for this browser, and kept with the person
        (``users.language``) for their next sign-in anywhere."""
        chosen, back = await _language_form(request)
        await staff_admin.set_language(session, principal, chosen)
        return back


async def _language_form(request: Request[Any, Any, Any]) -> tuple[str, Redirect]:
    """The language chosen, and the way back to the page, with the cookie set."""
    form = await request.form()
    chosen = i18n.language_of(str(form.get("language", "")))
    target = safe_next(str(form.get("next", "")))
    return chosen, Redirect(target, status_code=303, cookies=[_language_cookie(chosen)])


def _language_cookie(language: str) -> Cookie:
    return Cookie(
        key=i18n.LANGUAGE_COOKIE,
        value=language,
        path="/console",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
    )
