"""Tenant manifests: the declarative way an HQ administers its stores, staff and plugins.

A manifest is read and validated whole before anything touches the database, and every
error names the file and the key (``tenants/demo-chain.toml: stores[1].hours.mon: ...``),
so a bad manifest is rejected with nothing applied for that tenant.

A top-level section that is absent is not managed: leaving out ``[[staff]]`` means staff are
administered through the API and ``apply`` never deactivates them. A section that is
present is authoritative for the records the manifest manages (``managed_by = manifest``:
it created or adopted them): what it does not list is deactivated (never deleted; history
such as service orders keeps pointing at it). Records the API created are not its own.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from pitstop.access.permissions import STORE_SCOPED_ROLES, STORES_REQUIRED
from pitstop.errors import Unprocessable, split_msgspec_error
from pitstop.tenancy.hours import (
    HoursInvalid,
    format_holidays,
    format_weekly_hours,
    parse_holidays,
    parse_weekly_hours,
)
from pitstop.tenancy.plugin_settings import validate_settings
from pitstop.tenancy.types import (
    CurrencyCode,
    DisplayName,
    Slug,
    StoreCode,
    TimeZoneName,
    zone_problem,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ManifestError(ValueError):
    """A manifest is invalid; ``str()`` is ``file: key: problem``."""

    def __init__(self, path: str, key: str, message: str) -> None:
        self.path, self.key, self.message = path, key, message
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")


class StoreSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: StoreCode
    name: str
    city: str
    region: Literal["urban", "county", "township"] = "urban"
    timezone: TimeZoneName | None = None
    hours: dict[str, str] = msgspec.field(default_factory=dict)
    holidays: list[str] = msgspec.field(default_factory=list)


class StaffSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: str
    name: str
    role: str
    stores: list[str] | None = None


class TenantSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    slug: Slug
    name: DisplayName
    kind: Literal["chain", "shop"]
    timezone: TimeZoneName = "Asia/Shanghai"
    currency: CurrencyCode = "CNY"
    stores: list[StoreSpec] | None = None
    staff: list[StaffSpec] | None = None
    plugins: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class Manifest:
    """A validated manifest with hours and holidays already in canonical (stored) form."""

    path: str
    spec: TenantSpec
    store_hours: dict[str, dict[str, str]] = field(default_factory=dict)
    store_holidays: dict[str, list[str]] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.spec.slug


def load_manifest(
    path: Path, *, roles: frozenset[str], plugins: Mapping[str, Any] | None = None
) -> Manifest:
    """Parse and validate one file; ``roles`` are the role names a staff entry may use."""
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(name, "", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(name, "", f"not valid TOML: {exc}") from None
    try:
        spec = msgspec.convert(raw, TenantSpec)
    except msgspec.ValidationError as exc:
        raise ManifestError(name, *_manifest_problem(str(exc))) from None
    return _validate(name, spec, roles, plugins or {})


def _manifest_problem(message: str) -> tuple[str, str]:
    """(key, problem); an unknown key is named, since the file's author wrote it, not a
    customer (the API keeps such keys out of its answers instead)."""
    key, problem = split_msgspec_error(message, TenantSpec)
    unknown = _UNKNOWN_KEY.search(message)
    if unknown is not None:
        key = f"{key}.{unknown.group(1)}" if key else unknown.group(1)
        problem = "unknown key"
    return key, problem


_UNKNOWN_KEY = re.compile(r"^Object contains unknown field `([^`]+)`")


def load_directory(
    directory: Path, *, roles: frozenset[str], plugins: Mapping[str, Any] | None = None
) -> list[Manifest]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ManifestError(str(directory), "", "no *.toml manifests found")
    manifests = [load_manifest(f, roles=roles, plugins=plugins) for f in files]
    seen: dict[str, str] = {}
    for manifest in manifests:
        if manifest.slug in seen:
            raise ManifestError(manifest.path, "slug", f"also used by {seen[manifest.slug]}")
        seen[manifest.slug] = manifest.path
    return manifests


def _validate(
    path: str, spec: TenantSpec, roles: frozenset[str], plugins: Mapping[str, Any]
) -> Manifest:
    if not spec.name.strip():
        raise ManifestError(path, "name", "must not be empty")
    _check_timezone(path, "timezone", spec.timezone)
    manifest = Manifest(path=path, spec=spec)
    codes = _validate_stores(manifest)
    _validate_staff(path, spec, roles, codes)
    for plugin, raw in (spec.plugins or {}).items():
        if plugin not in plugins:
            raise ManifestError(path, f"plugins.{plugin}", "no such plugin is installed")
        _validate_plugin(path, plugin, plugins[plugin], raw)
    return manifest


def _validate_plugin(path: str, plugin: str, schema: Any, raw: Mapping[str, Any]) -> None:
    """``enabled`` (default true) plus settings keys, checked like the API checks them."""
    settings = dict(raw)
    if not isinstance(settings.pop("enabled", True), bool):
        raise ManifestError(path, f"plugins.{plugin}.enabled", "must be true or false")
    if schema is None:
        return
    try:
        validate_settings(schema, {}, settings)
    except Unprocessable as exc:
        first = exc.errors[0] if exc.errors else {"field": "settings", "message": exc.detail}
        key = first["field"].replace("settings", f"plugins.{plugin}", 1)
        raise ManifestError(path, key, first["message"]) from None


def _validate_stores(manifest: Manifest) -> set[str]:
    path, codes = manifest.path, set()
    for i, store in enumerate(manifest.spec.stores or []):
        key = f"stores[{i}]"
        if store.code in codes:
            raise ManifestError(path, f"{key}.code", f"duplicate store code {store.code!r}")
        codes.add(store.code)
        for attr in ("name", "city"):
            if not getattr(store, attr).strip():
                raise ManifestError(path, f"{key}.{attr}", "must not be empty")
        if store.timezone is not None:
            _check_timezone(path, f"{key}.timezone", store.timezone)
        try:
            manifest.store_hours[store.code] = format_weekly_hours(parse_weekly_hours(store.hours))
            manifest.store_holidays[store.code] = format_holidays(parse_holidays(store.holidays))
        except HoursInvalid as exc:
            raise ManifestError(path, f"{key}.{exc.key}", exc.message) from None
    return codes


def _validate_staff(path: str, spec: TenantSpec, roles: frozenset[str], codes: set[str]) -> None:
    emails: set[str] = set()
    for i, person in enumerate(spec.staff or []):
        key = f"staff[{i}]"
        email = person.email.strip().lower()
        if not EMAIL_RE.match(email):
            raise ManifestError(path, f"{key}.email", "not an e-mail address")
        if email in emails:
            raise ManifestError(path, f"{key}.email", "listed twice")
        emails.add(email)
        if person.role not in roles:
            raise ManifestError(path, f"{key}.role", f"unknown role {person.role!r}")
        if person.role in STORE_SCOPED_ROLES and not person.stores:
            raise ManifestError(path, f"{key}.stores", STORES_REQUIRED)
        for j, code in enumerate(person.stores or []):
            if code not in codes:
                raise ManifestError(path, f"{key}.stores[{j}]", f"no store with code {code!r}")


def _check_timezone(path: str, key: str, name: str) -> None:
    problem = zone_problem(name)
    if problem is not None:
        raise ManifestError(path, key, problem)
