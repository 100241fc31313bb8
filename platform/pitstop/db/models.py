"""Import every core model module so the metadata is complete (Alembic, tests, create_all)."""

from __future__ import annotations

from sqlalchemy import MetaData

from pitstop.db.base import Base


def load_models() -> MetaData:
    import pitstop.identity.models
    import pitstop.tenancy.models  # noqa: F401

    return Base.metadata
