"""How identity hands a staff member a secret (an invite, a password reset) without
knowing how messages are sent: a protocol the plugin host implements.

Identity sits below messaging and the plugin host, so it names what it needs and the
assembly hands the host over (``staff_notices`` in :mod:`pitstop.deps`). The answer is
the channel that will deliver it, or None when only the built-in console could: then the
API shows the token itself, as it always did (the demo, a tenant with no staff channel).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession


@runtime_checkable
class StaffNotices(Protocol):
    async def send_staff_secret(
        self, session: AsyncSession, staff_id: uuid.UUID, template: str, data: Mapping[str, Any]
    ) -> str | None:
        """Queue ``template`` to the staff member through a tenant channel able to reach
        staff, its ``token`` sealed at rest; the channel's name, or None if there is none."""
        ...
