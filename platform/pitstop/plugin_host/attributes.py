"""``customer_attributes`` merged across plugins, each plugin's facts under its own name.

The merge rule (``docs/plugins.md``, "Attributes: the merge rule"):

* A plugin answers plain keys (``{"tier": "gold"}``); readers see them prefixed with the
  plugin's name by the host (``{"membership.tier": "gold"}``). Two plugins can therefore
  never overwrite each other, and a reader always knows whose fact it is relying on.
* A key must be a non-empty string without a dot (the host adds the only dot) and must not
  be ``error``, which the host keeps for its marker. A key breaking this is dropped and
  logged (plugin, key, reason); the plugin's other keys are kept.
* A plugin that raises, or answers something other than a mapping, contributes only
  ``{"<plugin>.error": "unavailable"}``: a reader treats its facts as unknown (the
  complaints plugin then applies the customer's untiered SLA) instead of failing the
  request that asked.

The core offers facts the same way, under ``insights``: ``insights.segment`` is the
customer's RFM segment from the nightly run (None until their first visit is scored).

Values are never logged: they are facts about a customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import CustomerRfm

log = structlog.get_logger("pitstop.plugins")

UNAVAILABLE = "unavailable"
"""The marker a read-side hook's failing plugin leaves in its own section or namespace."""

ERROR_KEY = "error"


async def core_attributes(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """What the core says about a customer, namespaced like a plugin's answer."""
    segment = await session.scalar(
        select(CustomerRfm.segment).where(CustomerRfm.customer_id == customer_id)
    )
    return {"insights.segment": segment}


def namespaced(plugin: str, answer: object) -> dict[str, Any]:
    """One plugin's answer, keys prefixed with its name; the error marker if unusable."""
    if answer is None:
        return {}
    if not isinstance(answer, Mapping):
        log.warning(
            "plugin_attributes_refused", plugin=plugin, reason=f"not a mapping: {type(answer)}"
        )
        return unavailable(plugin)
    merged: dict[str, Any] = {}
    for key, value in answer.items():
        reason = _key_problem(key)
        if reason is not None:
            log.warning("plugin_attribute_refused", plugin=plugin, key=str(key), reason=reason)
            continue
        merged[f"{plugin}.{key}"] = value
    return merged


def unavailable(plugin: str) -> dict[str, Any]:
    return {f"{plugin}.{ERROR_KEY}": UNAVAILABLE}


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not key:
        return "keys are non-empty strings"
    if "." in key:
        return "a key has no dot: the host prefixes the plugin's name"
    if key == ERROR_KEY:
        return "'error' is the host's marker for a failing plugin"
    return None
