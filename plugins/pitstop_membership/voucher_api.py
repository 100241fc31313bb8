"""HTTP API of vouchers under ``/api/v1/membership/``: templates, issuing, voiding, reading.

Templates and issuing are marketing's (``membership:vouchers``); reading a customer's
vouchers is anyone's who reads the programme (``membership:read``), since the front desk
must find the voucher a customer forgot the code of. Redeeming is not here: it is the
core's ``POST /api/v1/service-orders/{id}/vouchers``, which asks this plugin through the
``redeem_code`` hook (:mod:`.voucher_redemption`).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Response
from sqlalchemy import select

from pitstop.sdk import (
    Conflict,
    FreeText,
    NotFound,
    PluginContext,
    Unprocessable,
    get_customer,
    get_store,
)
from pitstop_membership import dates, voucher_reports
from pitstop_membership.api import IdempotencyKey, digest, named_or_own_store
from pitstop_membership.idempotency import idempotent
from pitstop_membership.settings import programme
from pitstop_membership.voucher_models import Voucher, VoucherTemplate
from pitstop_membership.voucher_reports import VoucherLiability
from pitstop_membership.voucher_schemas import (
    IssueIn,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    VoidIn,
    VoucherOut,
    template_errors,
)
from pitstop_membership.vouchers import Issue, VoucherRefused, issue, template_by_code, void

MANAGE = {"permission": "membership:vouchers"}
READ = {"permission": "membership:read"}


def template_out(t: VoucherTemplate) -> TemplateOut:
    return TemplateOut(
        t.id, t.code, t.title, str(t.kind), t.amount, t.percent, t.max_discount,
        t.item_category, t.min_spend, list(t.categories), t.valid_days, t.valid_until,
        [uuid.UUID(s) for s in t.stores], t.budget, t.issued, t.active,
    )  # fmt: skip


def voucher_out(v: Voucher, template: VoucherTemplate) -> VoucherOut:
    return VoucherOut(
        v.id, v.code, str(v.status), v.template_id, template.title, v.customer_id,
        FreeText(v.reason), v.valid_from, v.valid_until, v.issued_store_id, v.order_id, v.discount,
        v.redeemed_store_id, v.redeemed_at, v.voided_at,
    )  # fmt: skip


async def _template(ctx: PluginContext, template_id: uuid.UUID) -> VoucherTemplate:
    template = await ctx.session.get(VoucherTemplate, (ctx.tenant_id, template_id))
    if template is None:
        raise NotFound("no such voucher template", code="voucher_template_not_found")
    return template


async def _voucher(ctx: PluginContext, voucher_id: uuid.UUID) -> Voucher:
    voucher = await ctx.session.get(Voucher, (ctx.tenant_id, voucher_id))
    if voucher is None:
        raise NotFound("no such voucher", code="voucher_not_found")
    return voucher


async def _audit(ctx: PluginContext, action: str, template: VoucherTemplate, **detail: Any) -> None:
    await ctx.audit(
        action,
        resource="membership_voucher_template",
        resource_id=template.id,
        detail={"code": template.code, **detail},
    )


async def _store_errors(ctx: PluginContext, stores: list[uuid.UUID]) -> list[dict[str, str]]:
    return [
        {"field": f"stores[{i}]", "message": "no such store"}
        for i, store_id in enumerate(stores)
        if await get_store(ctx, store_id) is None
    ]


class VoucherController(Controller):
    path = "/"

    @post("/voucher-templates", status_code=201, opt=MANAGE)
    async def create_template(
        self, data: JSONBody[TemplateIn], ctx: NamedDependency[PluginContext]
    ) -> TemplateOut:
        """Every broken rule at once, each naming its field (422 ``template_invalid``)."""
        today = dates.local_date(programme(ctx), ctx.now())
        errors = template_errors(data, today) + await _store_errors(ctx, data.stores)
        if errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise Unprocessable(detail, code="template_invalid", errors=errors)
        if await template_by_code(ctx, data.code) is not None:
            raise Conflict("code: a template has this code", code="template_code_taken")
        template = VoucherTemplate(
            code=data.code, title=data.title.strip(), kind=data.kind, amount=data.amount,
            percent=data.percent, max_discount=data.max_discount,
            item_category=data.item_category, min_spend=data.min_spend,
            categories=list(data.categories), valid_days=data.valid_days,
            valid_until=data.valid_until, stores=[str(s) for s in data.stores],
            budget=data.budget, issued=0, active=True,
            created_by=ctx.principal.actor_id if ctx.principal else None,
        )  # fmt: skip
        ctx.session.add(template)
        await ctx.session.flush()
        await _audit(ctx, "membership.voucher_template_created", template)
        return template_out(template)

    @get("/voucher-templates", opt=MANAGE)
    async def list_templates(self, ctx: NamedDependency[PluginContext]) -> list[TemplateOut]:
        rows = await ctx.session.scalars(select(VoucherTemplate).order_by(VoucherTemplate.code))
        return [template_out(t) for t in rows.all()]

    @get("/voucher-templates/{template_id:uuid}", opt=MANAGE)
    async def get_template(
        self, template_id: FromPath[uuid.UUID], ctx: NamedDependency[PluginContext]
    ) -> TemplateOut:
        return template_out(await _template(ctx, template_id))

    @patch("/voucher-templates/{template_id:uuid}", opt=MANAGE)
    async def change_template(
        self,
        template_id: FromPath[uuid.UUID],
        data: JSONBody[TemplatePatch],
        ctx: NamedDependency[PluginContext],
    ) -> TemplateOut:
        """Deactivating stops issuing; vouchers already issued stay valid."""
        template = await _template(ctx, template_id)
        fields = []
        if data.active is not None and data.active != template.active:
            template.active = data.active
            fields.append("active")
        if data.title is not None and data.title.strip() != template.title:
            template.title = data.title.strip()
            fields.append("title")
        await ctx.session.flush()
        if fields:
            await _audit(ctx, "membership.voucher_template_changed", template, fields=fields)
        return template_out(template)

    @get("/reports/vouchers", opt=READ)
    async def voucher_liability(
        self, ctx: NamedDependency[PluginContext], store_id: FromQuery[uuid.UUID | None] = None
    ) -> VoucherLiability:
        """Outstanding face value per issuing store, redeemed value per honouring store, and
        the cross-store pairs HQ settles; ``?store_id=`` narrows to one store's rows."""
        scope = ctx.principal.store_ids if ctx.principal else None
        if store_id is not None:
            if (scope is not None and store_id not in scope) or await get_store(
                ctx, store_id
            ) is None:
                raise Unprocessable.field("store_id", "no such store", "unknown_store")
            scope = frozenset({store_id})
        return await voucher_reports.liability(ctx, scope)

    @post("/vouchers", status_code=201, opt=MANAGE)
    async def issue_voucher(
        self,
        data: JSONBody[IssueIn],
        ctx: NamedDependency[PluginContext],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VoucherOut]:
        """One voucher per ``Idempotency-Key``: a retried tap issues nothing twice."""

        async def work() -> tuple[int, VoucherOut]:
            template = await ctx.session.get(VoucherTemplate, (ctx.tenant_id, data.template_id))
            if template is None:
                raise Unprocessable.field("template_id", "no such voucher template")
            customer = await get_customer(ctx, data.customer_id)
            if customer is None or customer.erased or customer.internal:
                raise Unprocessable.field("customer_id", "no such customer", "unknown_customer")
            store_id = await named_or_own_store(ctx, data.store_id)
            who = Issue(
                data.customer_id,
                data.reason.strip(),
                store_id=store_id,
                issued_by=ctx.principal.actor_id if ctx.principal else None,
            )
            try:
                voucher = await issue(ctx, template, who)
            except VoucherRefused as refused:
                raise Unprocessable.field("template_id", str(refused), refused.reason) from None
            return 201, voucher_out(voucher, template)

        return await idempotent(ctx, idempotency_key, digest(request, data), work, VoucherOut)

    @get("/accounts/{customer_id:uuid}/vouchers", opt=READ)
    async def customer_vouchers(
        self, customer_id: FromPath[uuid.UUID], ctx: NamedDependency[PluginContext]
    ) -> list[VoucherOut]:
        """Newest first; every status (the desk sees what was used where). A customer this
        tenant does not have is a 404, as on every route: an empty list would be an answer."""
        if await get_customer(ctx, customer_id) is None:
            raise NotFound("no such customer", code="customer_not_found")
        statement = (
            select(Voucher, VoucherTemplate)
            .join(VoucherTemplate, VoucherTemplate.id == Voucher.template_id)
            .where(Voucher.customer_id == customer_id)
            .order_by(Voucher.id.desc())
        )
        rows = (await ctx.session.execute(statement)).all()
        return [voucher_out(v, t) for v, t in rows]

    @get("/vouchers/{voucher_id:uuid}", opt=READ)
    async def get_voucher(
        self, voucher_id: FromPath[uuid.UUID], ctx: NamedDependency[PluginContext]
    ) -> VoucherOut:
        voucher = await _voucher(ctx, voucher_id)
        return voucher_out(voucher, await _template(ctx, voucher.template_id))

    @post("/vouchers/{voucher_id:uuid}/void", status_code=200, opt=MANAGE)
    async def void_voucher(
        self,
        voucher_id: FromPath[uuid.UUID],
        data: JSONBody[VoidIn],
        ctx: NamedDependency[PluginContext],
    ) -> VoucherOut:
        """Only an unused voucher (``issued``) can be voided: 409 ``voucher_not_voidable``."""
        voucher = await _voucher(ctx, voucher_id)
        if not await void(ctx, voucher, data.reason.strip()):
            raise Conflict(
                f"a voucher that is {voucher.status} cannot be voided",
                code="voucher_not_voidable",
            )
        await ctx.audit(
            "membership.voucher_void",
            resource="membership_voucher",
            resource_id=voucher.id,
            detail={"customer_id": str(voucher.customer_id), "reason": voucher.void_reason},
        )
        return voucher_out(voucher, await _template(ctx, voucher.template_id))
