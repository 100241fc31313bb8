"""The customer's own survey page: ``GET/POST /api/v1/retention/r/{token}``, no login.

The day-1 follow-up message carries a link signed for the purpose ``survey`` and the
survey's id (``follow_ups.survey_link``), valid 30 days. The core checks the
signature, the expiry and the rate limit at the edge and hands this page a context for the
link's tenant whose principal is the survey (``ctx.principal.actor_id``) and nothing
else: no permission, no other survey. Single use: once answered (here or by staff), a
second answer is 409 and the page says it was answered. The page shows the store's name
and the questions, never the customer's personal data (whoever holds the link sees it).
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from pitstop.sdk import NotFound, PluginContext, Unprocessable, get_store

from . import follow_ups
from .models import Survey
from .schemas import SurveyAnswerIn
from .settings import RetentionSettings

LINK = {"link": "survey"}


class SurveyPage(msgspec.Struct):
    store_name: str
    answered: bool
    questions: dict[str, str] = msgspec.field(
        default_factory=lambda: {
            "csi": "您对本次服务的满意度 (1-5)",
            "nps": "您向亲友推荐我们的可能性 (0-10)",
        }
    )


async def _survey(ctx: PluginContext) -> Survey:
    assert ctx.principal is not None  # the edge set the link's principal
    survey = (
        await ctx.session.scalars(select(Survey).where(Survey.id == ctx.principal.actor_id))
    ).one_or_none()
    if survey is None:
        raise NotFound("no such link", code="link_invalid")
    return survey


async def _page(ctx: PluginContext, survey: Survey) -> SurveyPage:
    store = await get_store(ctx, survey.store_id)
    return SurveyPage("门店" if store is None else store.name, survey.answered_at is not None)


class SurveyPageController(Controller):
    path = "/r"

    @get("/{token:str}", opt=LINK)
    async def show(self, ctx: NamedDependency[PluginContext], token: FromPath[str]) -> SurveyPage:
        """The survey the link was sent for: the store and the questions, or "answered"."""
        return await _page(ctx, await _survey(ctx))

    @post("/{token:str}", opt=LINK, status_code=200)
    async def answer(
        self,
        ctx: NamedDependency[PluginContext[RetentionSettings]],
        token: FromPath[str],
        data: JSONBody[SurveyAnswerIn],
    ) -> SurveyPage:
        """The customer's own scores, once; a low one opens a callback as staff entry does."""
        survey = await _survey(ctx)
        if data.csi is None and data.nps is None:
            raise Unprocessable.field("csi", "give csi, nps or both")
        await follow_ups.answer(ctx, survey, data.csi, data.nps, data.comment)
        await ctx.audit(
            "retention.survey_answered",
            resource="retention_survey",
            resource_id=survey.id,
            detail={"csi": data.csi, "nps": data.nps, "low": survey.low, "by": "customer"},
        )
        return await _page(ctx, survey)
