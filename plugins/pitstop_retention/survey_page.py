"""The customer's own survey: ``/api/v1/retention/r/{token}``, no login.

The day-1 follow-up message carries a link signed for the purpose ``survey`` and the
survey's id (``follow_ups.survey_link``), valid 30 days. The core checks the signature, the
expiry and the rate limit at the edge and hands this page a context for the link's tenant
whose principal is the survey (``ctx.principal.actor_id``) and nothing else: no
permission, no other survey. Single use: once answered (here or by staff), a second answer
is 409. Whoever holds the link sees the page (a forwarded message), so it shows the
store's name and the questions, never the customer's personal data.

One address, two readers. A browser (``Accept`` preferring ``text/html``) gets the page:
the form, which posts to ``/r/{token}/answer`` and is redirected back (303) to the thanks,
so a reload never posts twice; and for a link that cannot be answered, a page saying why
with the status that says it (404 invalid, 410 expired, 409 answered, 429 opened too
often) - the errors the edge raises too, through this controller's exception handlers.
An API client gets the JSON of the issue's contract, and problem+json errors, as before.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import ApiError, NotFound, PluginContext, Unprocessable, get_store

from . import follow_ups, survey_html
from .models import Survey
from .schemas import SurveyAnswerIn
from .settings import RetentionSettings

LINK = {"link": "survey"}
ANSWER = "/answer"


class SurveyPage(msgspec.Struct):
    store_name: str
    answered: bool
    questions: dict[str, str] = msgspec.field(
        default_factory=lambda: {
            "csi": "您对本次服务的满意度 (1-5)",
            "nps": "您向亲友推荐我们的可能性 (0-10)",
        }
    )


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser's ``Accept`` prefers HTML; an API client's ``*/*`` or JSON does not."""
    best = request.accept.best_match([MediaType.JSON, MediaType.HTML], default=MediaType.JSON)
    return best == MediaType.HTML


def _error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The page for a browser (and always for the form); the core's problem for the API."""
    if request.url.path.endswith(ANSWER) or wants_html(request):
        status = exc.status if isinstance(exc, ApiError) else getattr(exc, "status_code", 500)
        return survey_html.note_page(survey_html.language(request.query_params.get("lang")), status)
    for cls in type(exc).__mro__:  # the app's own mapper: the API's answer is unchanged
        handler = request.app.exception_handlers.get(cls)
        if handler is not None:
            response: Response[Any] = handler(request, exc)
            return response
    raise exc


async def _survey(ctx: PluginContext) -> Survey:
    assert ctx.principal is not None  # the edge set the link's principal
    survey = (
        await ctx.session.scalars(select(Survey).where(Survey.id == ctx.principal.actor_id))
    ).one_or_none()
    if survey is None:
        raise NotFound("no such link", code="link_invalid")
    return survey


async def _store_name(ctx: PluginContext, survey: Survey) -> str:
    store = await get_store(ctx, survey.store_id)
    return "门店" if store is None else store.name


async def _answer(
    ctx: PluginContext[RetentionSettings], survey: Survey, data: SurveyAnswerIn
) -> None:
    """The customer's scores, once, audited as staff entry is; a low one opens a callback."""
    await follow_ups.answer(ctx, survey, data.csi, data.nps, data.comment)
    await ctx.audit(
        "retention.survey_answered",
        resource="retention_survey",
        resource_id=survey.id,
        detail={"csi": data.csi, "nps": data.nps, "low": survey.low, "by": "customer"},
    )


def read_form(form: Any) -> tuple[SurveyAnswerIn | None, dict[str, str], dict[str, Any]]:
    """The form's answer, or each bad field's message key; with the choices to show again."""
    chosen: dict[str, Any] = {"comment": str(form.get("comment") or "")}
    errors: dict[str, str] = {}
    for name, low, high in (("nps", 0, 10), ("csi", 1, 5)):
        raw = str(form.get(name) or "").strip()
        if raw:
            value = int(raw) if raw.isdigit() else -1
            if low <= value <= high:
                chosen[name] = value
            else:
                errors[name] = f"bad_{name}"
    if len(chosen["comment"]) > 2000:
        errors["comment"] = "bad_comment"
    if not errors and "nps" not in chosen and "csi" not in chosen:
        errors["scores"] = "need_score"
    if errors:
        return None, errors, chosen
    answer = SurveyAnswerIn(chosen.get("csi"), chosen.get("nps"), chosen["comment"] or None)
    return answer, {}, chosen


class SurveyPageController(Controller):
    path = "/r"
    exception_handlers = {ApiError: _error, HTTPException: _error}

    @get("/{token:str}", opt=LINK)
    async def show(
        self,
        ctx: NamedDependency[PluginContext],
        request: Request[Any, Any, Any],
        token: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[SurveyPage]:
        """The survey the link was sent for: the store and the questions, or "answered"."""
        survey = await _survey(ctx)
        page = SurveyPage(await _store_name(ctx, survey), survey.answered_at is not None)
        if not wants_html(request):
            return Response(page, headers={"Vary": "Accept", "Cache-Control": "no-store"})
        language = survey_html.language(lang)
        if page.answered:
            return survey_html.thanks_page(language, survey.low)
        action = f"{request.url.path}{ANSWER}" + ("?lang=en" if language == "en" else "")
        return survey_html.form_page(language, page.store_name, action)

    @post("/{token:str}", opt=LINK, status_code=200)
    async def answer(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        token: FromPath[str],
        data: JSONBody[SurveyAnswerIn],
    ) -> SurveyPage:
        """The customer's own scores as JSON (an app or a kiosk), once."""
        survey = await _survey(ctx)
        if data.csi is None and data.nps is None:
            raise Unprocessable.field("csi", "give csi, nps or both")
        await _answer(ctx, survey, data)
        return SurveyPage(await _store_name(ctx, survey), True)

    @post(f"/{{token:str}}{ANSWER}", opt=LINK, status_code=303, include_in_schema=False)
    async def answer_form(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        request: Request[Any, Any, Any],
        token: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The page's form: back to the link's page (the thanks), or the form again with
        each bad field named (422). No CSRF token: the link in the path is the credential
        and no cookie is involved."""
        survey = await _survey(ctx)
        language = survey_html.language(lang)
        answer, errors, chosen = read_form(await request.form())
        if answer is None:
            name = await _store_name(ctx, survey)
            action = request.url.path + ("?lang=en" if language == "en" else "")
            return survey_html.form_page(
                language, name, action, status=422, errors=errors, chosen=chosen
            )
        await _answer(ctx, survey, answer)
        back = request.url.path.removesuffix(ANSWER) + ("?lang=en" if language == "en" else "")
        return Redirect(back, status_code=303)
