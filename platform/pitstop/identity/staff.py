"""Staff and role administration shared by the API and tenant manifests.

Both paths call these functions so a manifest can never do what the API would refuse
(and vice versa): in particular, hiring never renames or re-passwords an identity the
tenant does not own (see docs/security/identity.md). They return human-readable change
descriptions for ``tenants plan``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import ROLE_TEMPLATES, PermissionTable
from pitstop.identity.models import Membership, Role, User
from pitstop.tenancy.context import current_tenant_id


@dataclass(frozen=True)
class StaffChange:
    symbol: str  # "+", "~" or "-"
    text: str


async def sync_builtin_roles(session: AsyncSession, table: PermissionTable) -> list[StaffChange]:
    """Keep the tenant's built-in role rows equal to the permission table's templates."""
    existing = {r.name: r for r in (await session.scalars(select(Role))).all()}
    changes: list[StaffChange] = []
    for name, permissions in table.templates().items():
        wanted = sorted(permissions)
        role = existing.get(name)
        if role is None:
            session.add(Role(name=name, title=name, permissions=wanted, builtin=True))
            changes.append(StaffChange("+", f"role {name}"))
        elif role.builtin and sorted(role.permissions) != wanted:
            role.permissions = wanted
            changes.append(StaffChange("~", f"role {name}: permissions follow the template"))
    return changes


async def role_names(session: AsyncSession) -> frozenset[str]:
    custom = (await session.scalars(select(Role.name))).all()
    return frozenset(ROLE_TEMPLATES) | frozenset(custom)


async def find_user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.scalars(select(User).where(func.lower(User.email) == email.lower()))
    ).one_or_none()


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
) -> tuple[Membership, StaffChange | None]:
    """Hire (or re-hire) a person with a role and store scope; None when nothing changes.

    A new e-mail becomes an identity this tenant owns. An e-mail that already has an
    identity elsewhere gets a *pending* membership the person must accept, and its name
    and password are never touched: ``name`` is kept as the tenant's display name.
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
            user_id=user.id,
            role=role,
            store_ids=scope,
            active=True,
            pending=not owned,
            display_name=name,
        )
        session.add(membership)
        note = "" if owned else " (pending acceptance)"
        return membership, StaffChange("+", f"staff {email} as {role}{_scope_text(scope)}{note}")
    diffs = _update_membership(membership, name=name, role=role, scope=scope)
    if not diffs:
        return membership, None
    return membership, StaffChange("~", f"staff {email}: {', '.join(diffs)}")


def _update_membership(
    membership: Membership, *, name: str, role: str, scope: list[str] | None
) -> list[str]:
    diffs = []
    if membership.display_name is not None and membership.display_name != name:
        diffs.append("name")
    membership.display_name = name
    if membership.role != role:
        diffs.append(f"role {membership.role} -> {role}")
        membership.role = role
    if membership.store_ids != scope:
        diffs.append(f"stores{_scope_text(membership.store_ids)} ->{_scope_text(scope)}")
        membership.store_ids = scope
    if not membership.active:
        diffs.append("reactivated")
        membership.set_active(True)
    return diffs


async def deactivate_others(session: AsyncSession, keep_emails: set[str]) -> list[StaffChange]:
    rows = (
        await session.execute(
            select(Membership, User.email)
            .join(User, User.id == Membership.user_id)
            .where(Membership.active.is_(True))
        )
    ).all()
    changes = []
    for membership, email in rows:
        if email.lower() not in keep_emails:
            membership.set_active(False)
            changes.append(StaffChange("-", f"staff {email} (deactivated)"))
    return changes


def _scope_text(scope: Sequence[str] | None) -> str:
    if scope is None:
        return " [all stores]"
    return f" [{len(scope)} store{'s' if len(scope) != 1 else ''}]"
