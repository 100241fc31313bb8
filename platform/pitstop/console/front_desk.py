"""The front desk: find a customer, the 360° page, reveal with a reason, a new customer.

Each handler calls what the matching API route calls (the CRM services, the search limit
and its audit, ``privacy.profile`` / ``privacy.reveal``) and declares the same permission,
so the console can do nothing the API would refuse this role, and shows what it shows.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.access.search_limits import check_search
from pitstop.console.forms import FormErrors, convert, errors_of
from pitstop.console.i18n import N_
from pitstop.console.orders import STATUS_LABELS
from pitstop.console.view import Desk, shown, shown_for_plugin
from pitstop.crm import customer_search, privacy
from pitstop.crm import customers as customer_service
from pitstop.crm import vehicles as vehicle_service
from pitstop.crm.models import Customer
from pitstop.crm.responses import customer_out
from pitstop.crm.schemas import CustomerCreate, RevealRequest, VehicleCreate
from pitstop.db.base import Clock
from pitstop.errors import Conflict, Unprocessable
from pitstop.inputs import MAX_SEARCH_LENGTH, SearchText
from pitstop.plugin_host.console_hooks import CustomerPanel
from pitstop.plugin_host.manager import PluginHost
from pitstop.settings import Settings

RESULTS = 50
REVEALABLE = ("name", "phone", "id_number", "email", "address", "birthday")
CUSTOMER_FIELDS = ("name", "phone", "gender", "birthday", "email", "city")
VEHICLE_FIELDS = ("vin", "plate", "make", "model", "year", "mileage_km")
FIELD_LABELS = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "gender": N_("Gender"),
    "birthday": N_("Birthday"),
    "email": N_("E-mail"),
    "city": N_("City"),
    "id_number": N_("ID number"),
    "address": N_("Address"),
    "vin": N_("VIN"),
    "plate": N_("Plate"),
    "make": N_("Make"),
    "model": N_("Model"),
    "year": N_("Year"),
    "mileage_km": N_("Mileage (km)"),
}


class FrontDeskController(Controller):
    path = "/"

    @get("/", opt={"authenticated": True})
    async def home(self, principal: NamedDependency[Principal]) -> Redirect:
        if principal.can("service_orders:read"):
            return Redirect("/console/worklist", status_code=303)
        return Redirect("/console/search", status_code=303)

    @get("/search", opt={"permission": "customers:read"})
    async def search(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        q: SearchText = None,
    ) -> Template:
        """``q``: a phone, its last four digits, a plate, a VIN or the start of a name, found
        as ``GET /api/v1/customers?q=`` finds them, limited and audited alike."""
        q = (q or "").strip()[:MAX_SEARCH_LENGTH] or None
        if q is None:
            return desk.page("search.html", q="", customers=None)
        now = clock()
        text = q
        await check_search(
            session,
            principal,
            customer_search.searched_classes(q, None),
            text,
            now=now,
            secret_key=settings.secret_key,
        )
        statement = customer_search.search_statement(
            q=q,
            tag=None,
            store_id=None,
            lifecycle=None,
            today=now.date(),
            dialect=session.get_bind().dialect.name,
        )
        rows = (await session.scalars(statement.order_by(Customer.id).limit(RESULTS))).all()
        derived = await customer_service.derive(session, [c.id for c in rows], now.date())
        found = [shown(customer_out(c, derived[c.id])) for c in rows]
        return desk.page("search.html", q=q, customers=found)

    @get("/customers/{customer_id:uuid}", opt={"permission": "customers:read"})
    async def customer(
        self,
        customer_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        plugins: NamedDependency[PluginHost],
        principal: NamedDependency[Principal],
    ) -> Template:
        """The 360° page: ``GET /api/v1/customers/{id}/profile``, with plugin sections."""
        return await _profile_page(desk, session, clock, plugins, principal, customer_id)

    @post("/customers/{customer_id:uuid}/reveal", opt={"permission": "customers:reveal"})
    async def reveal(
        self,
        customer_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        plugins: NamedDependency[PluginHost],
        principal: NamedDependency[Principal],
    ) -> Template:
        """Raw values with a reason, written to the audit log as the API's reveal is."""
        form = await request.form()
        values = {"fields": form.getall("fields", []), "reason": str(form.get("reason", ""))}
        customer = await customer_service.get_customer(session, customer_id)
        try:
            asked = convert(values, RevealRequest)
        except FormErrors as exc:
            return await _profile_page(
                desk,
                session,
                clock,
                plugins,
                principal,
                customer_id,
                status=422,
                reveal_errors=exc.errors,
                reason=values["reason"],
            )
        revealed = await privacy.reveal(session, customer, asked.fields, asked.reason.strip())
        return await _profile_page(
            desk, session, clock, plugins, principal, customer_id, revealed=revealed
        )

    @get("/customers/new", opt={"permission": "customers:write"})
    async def new_customer(self, desk: NamedDependency[Desk]) -> Template:
        return _new_customer_page(desk, {}, {})

    @post("/customers/new", opt={"permission": "customers:write"})
    async def create_customer(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """A customer and (when a VIN is given) the car, in one transaction: both or neither."""
        form = {k: str(v).strip() for k, v in (await request.form()).items()}
        now = clock()
        customer_values = {f: form.get(f, "") for f in CUSTOMER_FIELDS}
        vehicle_values = {f: form.get(f"vehicle_{f}", "") for f in VEHICLE_FIELDS}
        wants_vehicle = any(vehicle_values.values())
        try:
            async with session.begin_nested():
                data = convert(customer_values, CustomerCreate)
                customer = await customer_service.register_customer(session, data, now)
                if wants_vehicle:
                    vehicle = convert(
                        {**vehicle_values, "customer_id": str(customer.id)},
                        VehicleCreate,
                        prefix="vehicle_",
                    )
                    try:
                        await vehicle_service.register_vehicle(session, vehicle, now)
                    except (Unprocessable, Conflict) as exc:
                        raise FormErrors(errors_of(exc, "vehicle_")) from None
        except FormErrors as exc:
            return _new_customer_page(desk, form, exc.errors, status=422)
        except Unprocessable as exc:
            return _new_customer_page(desk, form, errors_of(exc), status=422)
        except Conflict as exc:  # the phone is a customer's already: say so beside it
            return _new_customer_page(desk, form, {"phone": exc.detail}, status=409)
        return Redirect(f"/console/customers/{customer.id}", status_code=303)


def _new_customer_page(
    desk: Desk, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Template:
    return desk.page(
        "customer_new.html",
        status,
        form=form,
        errors=errors,
        customer_fields=CUSTOMER_FIELDS,
        vehicle_fields=VEHICLE_FIELDS,
        labels=FIELD_LABELS,
    )


async def _profile_page(
    desk: Desk,
    session: AsyncSession,
    clock: Clock,
    plugins: PluginHost,
    principal: Principal,
    customer_id: uuid.UUID,
    *,
    status: int = 200,
    **context: Any,
) -> Template:
    """The profile, with each plugin's panel (``customer_panels``) in place of its section."""
    customer = await customer_service.get_customer(session, customer_id)
    profile = await privacy.profile(session, plugins, customer, principal, clock().date())
    panels = await plugins.customer_panels(session, customer_id=customer.id, principal=principal)
    paneled = {p.plugin for p in panels}
    profile.sections = [s for s in profile.sections if s.plugin not in paneled]
    vehicle_ids = [v.id for v in profile.vehicles]
    seen = shown(profile)
    seen["sections"] = [desk.plugin_part(section, "data") for section in seen["sections"]]
    return desk.page(
        "customer.html",
        status,
        profile=seen,
        panels=[_panel(desk, p) for p in panels],
        vehicle_ids=vehicle_ids,
        can_reveal=principal.can("customers:reveal"),
        can_open_order=principal.can("service_orders:write") and bool(vehicle_ids),
        revealable=REVEALABLE,
        statuses=STATUS_LABELS,
        labels=FIELD_LABELS,
        **context,
    )


def _panel(desk: Desk, panel: CustomerPanel) -> dict[str, Any]:
    """A panel as its template reads it: masked values and the plugin's own strings."""
    return {
        "plugin": panel.plugin,
        "title": desk.plugin_gettext(panel.plugin)(panel.title),
        "template": f"{panel.plugin}/{panel.template}",
        "values": {} if panel.error else shown_for_plugin(panel.values),
        "error": panel.error,
        "_": desk.plugin_gettext(panel.plugin),
    }
