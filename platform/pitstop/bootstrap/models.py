"""Import every model module so the metadata is complete (Alembic, tests, create_all).

Installed plugins' modules are imported too (a plugin's package imports its models), so
that Alembic's comparison of models and database covers plugin tables as well.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from sqlalchemy import MetaData

from pitstop.db.base import Base


def load_models(*, plugins: bool = True) -> MetaData:
    import pitstop.access.models
    import pitstop.crm.models
    import pitstop.crm.retention_days
    import pitstop.crm.rollups
    import pitstop.crm.store_groups
    import pitstop.crm.visit_links
    import pitstop.events.models
    import pitstop.identity.models
    import pitstop.insights.models
    import pitstop.messaging.models
    import pitstop.tenancy.models  # noqa: F401

    if plugins:
        for entry in entry_points(group="pitstop"):
            entry.load()
    return Base.metadata
