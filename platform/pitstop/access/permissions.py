"""The permission table: the single source that guards, docs and tests read.

A permission is ``area:action``. Each built-in role template is a set of permissions.
Plugins add their own permissions with default grants through :func:`PermissionTable.extend`,
so the role templates a tenant receives include them and the generated role × endpoint
tests cover them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ROLE_TEMPLATES = (
    "hq_admin",
    "hq_analyst",
    "store_manager",
    "service_advisor",
    "technician",
    "marketing",
)
STORE_SCOPED_ROLES = frozenset({"store_manager", "service_advisor", "technician"})
"""Templates whose people work at named stores: hired with at least one store, and with
none they see no store's records (never all of them)."""
STORES_REQUIRED = "required for a store-scoped role"


@dataclass(frozen=True)
class Permission:
    name: str
    description: str
    grants: frozenset[str]

    @property
    def area(self) -> str:
        return self.name.split(":", 1)[0]


_ALL = frozenset(ROLE_TEMPLATES)
_EDITORS = frozenset({"hq_admin", "store_manager", "service_advisor"})
_HQ = frozenset({"hq_admin"})
_MANAGERS = frozenset({"hq_admin", "store_manager"})

CORE_PERMISSIONS: tuple[Permission, ...] = (
    Permission("stores:read", "List the tenant's stores and their hours", _ALL),
    Permission("stores:manage", "Open, change and close stores", _HQ),
    Permission("customers:read", "Read customers (masked per policy)", _ALL),
    Permission("customers:write", "Create and edit customers", _EDITORS),
    Permission(
        "customers:reveal", "See one customer's raw personal data, with a reason", _MANAGERS
    ),
    Permission("customers:export", "Export everything held about a customer", _HQ),
    Permission("customers:erase", "Erase a customer's personal data", _HQ),
    Permission(
        "customers:list_export",
        "Export the filtered customer list as CSV (masked per role, audited)",
        _HQ | {"marketing"},
    ),
    Permission("vehicles:read", "Read vehicles (masked per policy)", _ALL),
    Permission("vehicles:write", "Register vehicles and record mileage", _EDITORS),
    Permission("service_orders:read", "Read service orders of one's stores", _ALL),
    Permission("service_orders:write", "Open, complete and refund service orders", _EDITORS),
    Permission("staff:manage", "Hire staff, give roles and store scopes", _HQ),
    Permission("roles:manage", "Define custom roles", _HQ),
    Permission("api_keys:manage", "Create and revoke integration keys", _HQ),
    Permission("plugins:read", "See which plugins are on and how they are set", _ALL),
    Permission("plugins:manage", "Turn plugins on and set their rules", _HQ),
    Permission("events:manage", "See and retry failed event deliveries", _HQ),
    Permission("audit:read", "Read the audit log", _HQ),
    Permission(
        "messages:read",
        "Read the contact log (of one's stores) and message templates",
        _ALL - {"technician"},
    ),
    Permission("messages:write", "Log a manual contact (a call, a visit)", _EDITORS),
    Permission("messages:templates", "Word the tenant's message templates", _HQ | {"marketing"}),
    Permission("messages:rules", "Set the tenant's quiet hours and message caps", _HQ),
    Permission(
        "messages:reconcile", "Settle a message a dead worker left unconfirmed (sent or not)", _HQ
    ),
    Permission(
        "messages:inbound", "Relay customers' replies (a TD unsubscribes): a gateway's key", _HQ
    ),
    Permission(
        "insights:read",
        "See the KPI board, segments and series (of one's stores)",
        frozenset({"hq_admin", "hq_analyst", "store_manager", "marketing"}),
    ),
)


@dataclass
class PermissionTable:
    permissions: dict[str, Permission] = field(default_factory=dict)

    @classmethod
    def core(cls) -> PermissionTable:
        return cls({p.name: p for p in CORE_PERMISSIONS})

    def extend(self, permissions: Iterable[Permission]) -> None:
        for permission in permissions:
            if ":" not in permission.name:
                raise ValueError(f"permission {permission.name!r} must look like area:action")
            if permission.name in self.permissions:
                raise ValueError(f"permission {permission.name!r} is declared twice")
            unknown = permission.grants - _ALL
            if unknown:
                raise ValueError(f"{permission.name}: unknown roles {sorted(unknown)}")
            self.permissions[permission.name] = permission

    def __contains__(self, name: object) -> bool:
        return name in self.permissions

    def names(self) -> list[str]:
        return sorted(self.permissions)

    def template(self, role: str) -> frozenset[str]:
        """The permissions a built-in role template grants."""
        return frozenset(p.name for p in self.permissions.values() if role in p.grants)

    def templates(self) -> Mapping[str, frozenset[str]]:
        return {role: self.template(role) for role in ROLE_TEMPLATES}

    def unknown(self, names: Iterable[str]) -> list[str]:
        return sorted(n for n in names if n not in self.permissions)


def as_markdown(table: PermissionTable) -> str:
    """The role × permission table as the docs show it (``pitstop permissions``)."""
    header = "| permission | what it allows | " + " | ".join(ROLE_TEMPLATES) + " |"
    rule = "|---|---|" + "---|" * len(ROLE_TEMPLATES)
    rows = [
        f"| `{p.name}` | {p.description} | "
        + " | ".join("✓" if role in p.grants else "" for role in ROLE_TEMPLATES)
        + " |"
        for p in (table.permissions[name] for name in table.names())
    ]
    intro = (
        "# Permissions and role templates\n\n"
        "Generated from the permission table (`pitstop permissions > docs/permissions.md`):"
        " the core's permissions and those of the installed plugins, with the built-in role"
        " templates that hold them by default. Custom roles pick any subset"
        " (`POST /api/v1/roles`) and say whether they are store-scoped.\n\n"
        "Store-scoped templates: "
        + ", ".join(f"`{r}`" for r in ROLE_TEMPLATES if r in STORE_SCOPED_ROLES)
        + ". Their people are hired with at least one store (`stores`: required for a"
        " store-scoped role) and see only those stores' records; with none they see no"
        " store's records, never all. The other templates see every store unless a store"
        " list narrows them (docs/security/administration.md).\n"
    )
    return "\n".join([intro, header, rule, *rows]) + "\n"
