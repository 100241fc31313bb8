"""Errors in the reader's language: what a service or a form's decoding says, worded for
the console.

The services answer in English, for the API's problem documents, and keep their field
messages stable. The console shows each one beside its field: a message the catalog knows
is translated as it is; a decoding message, which carries its rule (a pattern, a length),
is worded by its kind; anything else is shown as it came. :data:`SERVICE_MESSAGES` marks the
services' messages for the catalog, so the catalog test fails on one left untranslated,
and a unit test checks it holds every field message of the services the console calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pitstop.console.i18n import N_, translator

SERVICE_MESSAGES = (
    N_("is required"),
    N_("must not be blank"),
    N_("unknown fields are not allowed"),
    N_("no such role in this tenant"),
    N_("no such store"),
    N_("you may give only your own stores"),
    N_("this role can do more than you may give"),
    N_("you cannot deactivate yourself"),
    N_("this address cannot be hired"),
    N_("required for a store-scoped role"),
    N_("this person already works here"),
    N_("a role with this name exists"),
    N_("built-in roles follow the permission table"),
    N_("use an ISO 8601 timestamp"),
    N_("a store with this code exists"),
)
KINDS = (
    (re.compile(r"matching regex"), N_("is not in the expected form")),
    (re.compile(r"of length >= (?P<n>\d+)"), N_("is too short (at least %(n)s characters)")),
    (re.compile(r"of length <= (?P<n>\d+)"), N_("is too long (at most %(n)s characters)")),
    (re.compile(r"^Expected `(int|float|decimal)`, got"), N_("must be a number")),
    (re.compile(r"^Expected `(?:int|float)` <= (?P<n>[\d.]+)$"), N_("must be at most %(n)s")),
    (re.compile(r"^Expected `(?:int|float)` >= (?P<n>[\d.]+)$"), N_("must be at least %(n)s")),
    (re.compile(r"^Expected `uuid`|Invalid UUID"), N_("is not a valid id")),
    (re.compile(r"^unknown permission "), N_("is not a permission anyone declares")),
)
"""A decoding message by its kind; a bound it names (a length) is kept in the wording."""


def worded(message: str, language: str) -> str:
    gettext = translator(language)
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, text in KINDS:
        found = pattern.search(message)
        if found:
            return gettext(text) % found.groupdict() if found.groupdict() else gettext(text)
    return message


def worded_errors(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """``{field: message}`` with each message in ``language``."""
    return {name: worded(str(message), language) for name, message in errors.items()}
