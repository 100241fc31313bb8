"""Errors in the reader's language: what a service or a form's decoding says, worded for
the console.

The services' messages are worded where the API's are, in :mod:`pitstop.wording` (its
catalog, ``pitstop/locale``, and its patterns for a message with a value in it), so a
message reads the same beside a console field as in an API problem document. The console
adds only what its own forms say (:data:`FORM_MESSAGES`, in the console's catalog, which
the catalog test holds complete); anything neither knows is shown as it came.
"""

from __future__ import annotations

from collections.abc import Mapping

from pitstop import wording
from pitstop.console.i18n import N_, translator

FORM_MESSAGES = (
    N_("is required"),
    N_("is not a valid id"),
    N_("must be an id"),
    N_("must be a whole number"),
    N_("must be JSON"),
    N_("must be an amount such as 120 or 120.50"),
    N_("must be a number such as 2 or 4.5"),
    N_("must be a date (YYYY-MM-DD)"),
    N_("a role with this name exists"),
    N_("a store with this code exists"),
)
"""What the console's own forms say beside a field (the services' words are the kernel's)."""


def worded(message: str, language: str, own: wording.OwnMessages | None = None) -> str:
    """The console's own words for ``message``, else the API's (a plugin's ``own`` first)."""
    translated = translator(language)(message)
    if translated != message:
        return translated
    return wording.worded(message, language, own)


def worded_errors(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """``{field: message}`` with each message in ``language``."""
    return {name: worded(str(message), language) for name, message in errors.items()}
