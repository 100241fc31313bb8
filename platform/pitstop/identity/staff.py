"""Staff and role administration shared by the API and tenant manifests.

Both paths call these functions so a manifest can never do what the API would refuse
(and vice versa): in particular, hiring never renames or re-passwords an identity the
tenant does not own (see docs/security/identity.md). They return human-readable change
descriptions for ``tenants plan``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import ROLE_TEMPLATES, STORE_SCOPED_ROLES, PermissionTable
from pitstop.db.base import new_id
from pitstop.db.tenant_context import current_tenant_id
from pitstop.identity.models import Membership, Role, User
from pitstop.tenancy.models import ManagedBy


@dataclass(frozen=True)
class StaffChange:
    """One line of ``tenants plan`` and what the audit log records for it."""

    symbol: str  # "+", "~" or "-"
    text: str
    subject_id: uuid.UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)


async def sync_builtin_roles(
    session: AsyncSession, table: PermissionTable, *, managed_by: ManagedBy = ManagedBy.api
) -> list[StaffChange]:
    """Keep the tenant's built-in role rows equal to the permission table's templates.

    Templates belong to the permission table, whoever created the row: every path keeps
    their permissions and store scope equal to it. ``managed_by`` only records the creator.
    """
    existing = {r.name: r for r in (await session.scalars(select(Role))).all()}
    changes: list[StaffChange] = []
    for name, permissions in table.templates().items():
        wanted, scoped = sorted(permissions), name in STORE_SCOPED_ROLES
        role = existing.get(name)
        if role is None:
            role = Role(
                id=new_id(),
                name=name,
                title=name,
                permissions=wanted,
                builtin=True,
                store_scoped=scoped,
                managed_by=managed_by,
            )
            session.add(role)
            changes.append(StaffChange("+", f"role {name}", role.id, {"change": "created"}))
        elif role.builtin and (sorted(role.permissions) != wanted or role.store_scoped != scoped):
            role.permissions, role.store_scoped = wanted, scoped
            text = f"role {name}: permissions follow the template"
            changes.append(StaffChange("~", text, role.id, {"change": "template"}))
    return changes


async def role_names(session: AsyncSession) -> frozenset[str]:
    custom = (await session.scalars(select(Role.name))).all()
    return frozenset(ROLE_TEMPLATES) | frozenset(custom)


async def is_store_scoped(session: AsyncSession, role: str) -> bool:
    """A template's scope is the permission table's, a custom role's its own column;
    either saying so is enough (fail closed)."""
    if role in STORE_SCOPED_ROLES:
        return True
    scoped = (
        await session.scalars(select(Role.store_scoped).where(Role.name == role))
    ).one_or_none()
    return bool(scoped)


async def membership_of(session: AsyncSession, email: str) -> Membership | None:
    """This tenant's membership of the person with this e-mail, if any."""
    user = await find_user(session, email)
    if user is None:
        return None
    return (
        await session.scalars(select(Membership).where(Membership.user_id == user.id))
    ).one_or_none()


async def find_user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.scalars(select(User).where(func.lower(User.email) == email.lower()))
    ).one_or_none()


async def person_of(session: AsyncSession, membership: Membership) -> User:
    """The identity behind a membership. The foreign key (ON DELETE CASCADE) means there
    always is one; a row without one is a broken database, not a caller's mistake."""
    user = await session.get(User, membership.user_id)
    if user is None:
        raise LookupError(f"membership {membership.id} names no user")
    return user


class HireRefused(Exception):
    """This e-mail cannot be hired by any tenant (it is a platform operator's)."""


def owns(user: User, tenant_id: uuid.UUID) -> bool:
    """Only the tenant that created an identity, while nobody else has accepted it, owns it."""
    return user.owner_tenant_id == tenant_id and not user.platform_admin


async def upsert_member(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: str,
    store_ids: Sequence[uuid.UUID] | None,
    managed_by: ManagedBy = ManagedBy.api,
) -> tuple[Membership, StaffChange | None]:
    """Hire (or re-hire) a person with a role and store scope; None when nothing changes.

    A new e-mail becomes an identity this tenant owns. An e-mail that already has an
    identity elsewhere gets a *pending* membership the person must accept, and its name
    and password are never touched: ``name`` is kept as the tenant's display name.
    Callers check the store scope first (a store-scoped role needs a store).
    """
    tenant_id = current_tenant_id()
    email = email.strip().lower()
    user = await find_user(session, email)
    if user is not None and user.platform_admin:
        raise HireRefused("platform operators cannot be hired")
    if user is None:
        user = User(email=email, name=name, owner_tenant_id=tenant_id)
        session.add(user)
        await session.flush()
    owned = owns(user, tenant_id)
    if owned and user.name != name:
        user.name = name
    scope = None if store_ids is None else sorted(str(s) for s in store_ids)
    membership = (
        await session.scalars(select(Membership).where(Membership.user_id == user.id))
    ).one_or_none()
    if membership is None:
        membership = Membership(
            id=new_id(),
            user_id=user.id,
            role=role,
            store_ids=scope,
            active=True,
            pending=not owned,
            display_name=name,
            managed_by=managed_by,
        )
        session.add(membership)
        note = "" if owned else " (pending acceptance)"
        text = f"staff {email} as {role}{_scope_text(scope)}{note}"
        detail = {"change": "hired", "role": role, "pending": not owned}
        return membership, StaffChange("+", text, membership.id, detail)
    diffs, detail = _update_membership(membership, name=name, role=role, scope=scope)
    if not diffs:
        return membership, None
    text = f"staff {email}: {', '.join(diffs)}"
    return membership, StaffChange("~", text, membership.id, {"change": "updated", **detail})


def _update_membership(
    membership: Membership, *, name: str, role: str, scope: list[str] | None
) -> tuple[list[str], dict[str, Any]]:
    diffs: list[str] = []
    detail: dict[str, Any] = {}
    if membership.display_name is not None and membership.display_name != name:
        diffs.append("name")
        detail["name"] = "changed"
    membership.display_name = name
    if membership.role != role:
        diffs.append(f"role {membership.role} -> {role}")
        detail["role"] = [membership.role, role]
        membership.role = role
    if membership.store_ids != scope:
        diffs.append(f"stores{_scope_text(membership.store_ids)} ->{_scope_text(scope)}")
        detail["stores"] = "changed"
        membership.store_ids = scope
    if not membership.active:
        diffs.append("reactivated")
        detail["active"] = True
        membership.set_active(True)
    return diffs, detail


async def deactivate_others(session: AsyncSession, keep_emails: set[str]) -> list[StaffChange]:
    """Deactivate the manifest's own people it no longer lists; the API's are not its own."""
    rows = (
        await session.execute(
            select(Membership, User.email)
            .join(User, User.id == Membership.user_id)
            .where(Membership.active.is_(True), Membership.managed_by == ManagedBy.manifest)
        )
    ).all()
    changes = []
    for membership, email in rows:
        if email.lower() not in keep_emails:
            membership.set_active(False)
            detail = {"change": "deactivated"}
            text = f"staff {email} (deactivated)"
            changes.append(StaffChange("-", text, membership.id, detail))
    return changes


def _scope_text(scope: Sequence[str] | None) -> str:
    if scope is None:
        return " [all stores]"
    return f" [{len(scope)} store{'s' if len(scope) != 1 else ''}]"
