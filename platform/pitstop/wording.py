"""The services' error messages in the reader's language: the one place for the API's
problem documents and the console's field errors alike.

The services say what went wrong in English, and the API keeps that English as its source
language: the machine-readable parts of a problem document (``code``, ``status``, each
error's ``field``, the extras such as ``allowed``) never change, and only the human parts
(``title``, ``detail``, each error's ``message``) are worded for the reader. A message is
looked up as it is in ``locale/<language>/LC_MESSAGES/errors.po`` (read with Babel, no
compiled ``.mo``); a message that carries a value (a status, a bound, a name) is matched by
one of :data:`PATTERNS` and worded with the value kept (a value the catalog knows, such as
an order status, is translated too); anything else stays English. ``tests/unit/
test_error_wording.py`` fails on a message of a console service that has no Chinese.

A plugin's own messages are its own (SDK 1.5): ``PluginInfo.messages`` maps a language to
``{English message: translation}``, a message with a value in it written with the value as
``%(name)s`` on both sides. The host puts them, compiled as :class:`OwnMessages`, in the
``opt`` of the plugin's routes (:data:`WORDING_KEY`), and a problem document of those
routes is worded by them first, then by the kernel's catalog.

Who reads in which language: a staff member's own choice (``users.language``, which the
console's switch keeps and the edge reads with their standing), else the request's
``Accept-Language`` (an integration's API key), else English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("zh_CN", "en")
_TAGS = {"zh": "zh_CN", "en": "en"}
_QUALITY = re.compile(r"^q=(?P<q>[01](?:\.\d{0,3})?)$")

_PATTERNS = (
    # decoding (msgspec), which carries the rule: worded by its kind, the bound kept
    (r"matching regex", "is not in the expected form"),
    (r"of length >= (?P<n>\d+)", "is too short (at least %(n)s characters)"),
    (r"of length <= (?P<n>\d+)", "is too long (at most %(n)s characters)"),
    (r"^Expected `(int|float|decimal)`, got", "must be a number"),
    (r"^Expected `(?:int|float)` <= (?P<n>[\d.]+)$", "must be at most %(n)s"),
    (r"^Expected `(?:int|float)` >= (?P<n>[\d.]+)$", "must be at least %(n)s"),
    (r"^Expected `(?:int|float)` > (?P<n>[\d.]+)$", "must be more than %(n)s"),
    (r"^Expected `uuid`|Invalid UUID", "is not a valid id"),
    (r"^Expected `(?:date|datetime)`", "is not a valid date"),
    (r"^must be one of: (?P<values>.+)$", "must be one of: %(values)s"),
    (r"^unknown permission ", "is not a permission anyone declares"),
    # the services' messages that carry a value
    (r"^cannot (?P<action>\w+) a service order that is (?P<status>\w+)$",
     "cannot %(action)s a service order that is %(status)s"),
    (r"^cannot redeem a code on a service order that is (?P<status>\w+)$",
     "cannot redeem a code on a service order that is %(status)s"),
    (r"^the discount on (?P<category>\S+) must be above 0 and at most (?P<n>\d+) fen$",
     "the discount on %(category)s must be above 0 and at most %(n)s fen"),
    (r"^a vehicle with this (?P<column>\w+) is registered$",
     "a vehicle with this %(column)s is registered"),
    (r"^lower than the last reading \((?P<n>\d+) km\); flag it as a correction$",
     "lower than the last reading (%(n)s km); flag it as a correction"),
    (r"^you cannot grant what you lack: (?P<values>.+)$",
     "you cannot grant what you lack: %(values)s"),
    (r"^permissions: unknown (?P<values>.+)$", "permissions: unknown %(values)s"),
    (r"^a role named (?P<name>.+) exists$", "a role named %(name)s exists"),
    (r"^store (?P<code>.+) exists$", "store %(code)s exists"),
    (r"^no plugin named (?P<name>.+) is installed$", "no plugin named %(name)s is installed"),
    (r"^enable (?P<values>.+) first$", "enable %(values)s first"),
    (r"^(?P<values>.+) depend on it$", "%(values)s depend on it"),
    (r"^(?P<time>\d+:\d+) is not a time of day$", "%(time)s is not a time of day"),
    (r"^(?P<text>.+) is not HH:MM-HH:MM$", "%(text)s is not HH:MM-HH:MM"),
    (r"^(?P<text>.+) ends before it starts \(no overnight shifts\)$",
     "%(text)s ends before it starts (no overnight shifts)"),
    (r"^(?P<text>.+) is not YYYY-MM-DD or YYYY-MM-DD\.\.YYYY-MM-DD$",
     "%(text)s is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"),
    (r"^this needs the permission (?P<name>\S+)$", "this needs the permission %(name)s"),
    (r"^the (?P<name>\S+) plugin is off for this tenant$",
     "the %(name)s plugin is off for this tenant"),
    (r"^more than (?P<n>\d+) points: use a longer interval or fewer days$",
     "more than %(n)s points: use a longer interval or fewer days"),
    (r"^at most (?P<n>\d+) searches per (?P<window>\w+) by personal data your role sees masked$",
     "at most %(n)s searches per %(window)s by personal data your role sees masked"),
    (r"^unexpected error; request id (?P<id>.*)$", "unexpected error; request id %(id)s"),
    (r"^(?P<key>[\w.\[\]]+): (?P<message>.+)$", "%(key)s: %(message)s"),
)  # fmt: skip
PATTERNS = tuple((re.compile(pattern), text) for pattern, text in _PATTERNS)
"""A message with a value in it, and its catalog entry (the value as ``%(name)s``)."""
WORDING_KEY = "pitstop_wording"
"""The ``opt`` key under which a plugin's routes carry its :class:`OwnMessages`."""
_PLACEHOLDER = re.compile(r"%\\\((?P<name>\w+)\\\)s")
KEPT = frozenset({"key", "n", "id", "name", "code", "text", "time"})
"""Values shown as they came (a field name, a number, an id, a name someone typed)."""


@cache
def po_catalog(path: Path, language: str) -> Mapping[str, str]:
    """msgid → translation of one ``.po`` file, read with Babel once per process (no
    compiled ``.mo`` in the repository): the kernel's errors and the console's strings
    alike. A missing file, an untranslated or a fuzzy entry leaves the message as it is."""
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {
        str(m.id): str(m.string)
        for m in messages
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def catalog(language: str) -> Mapping[str, str]:
    """msgid → translation; English (the source) and an unknown language are empty."""
    if language not in LANGUAGES:
        return {}
    return po_catalog(LOCALE_DIR / language / "LC_MESSAGES" / "errors.po", language)


class OwnMessages:
    """A plugin's messages (``PluginInfo.messages``), each with a ``%(name)s`` in it made a
    pattern once, when the plugin's routes are mounted."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.exact = {language: dict(table) for language, table in messages.items()}
        self.patterns = {
            language: [(_pattern(msgid), text) for msgid, text in table.items() if "%(" in msgid]
            for language, table in messages.items()
        }

    def word(self, message: str, language: str) -> str | None:
        """``message`` in ``language`` if the plugin words it, else None."""
        table = self.exact.get(language, {})
        if message in table:
            return table[message]
        for pattern, text in self.patterns.get(language, ()):
            found = pattern.match(message)
            if found:
                return text % {k: self._value(k, v, language) for k, v in found.groupdict().items()}
        return None

    def _value(self, name: str, value: str, language: str) -> str:
        """A value as the kernel words it, the plugin's own words (a stage, a status) first."""
        if name in KEPT:
            return value
        table = self.exact.get(language, {})
        words = value.split(", ") if name == "values" else [value]
        return ", ".join(table.get(w) or catalog(language).get(w, w) for w in words)


def _pattern(msgid: str) -> re.Pattern[str]:
    """``"the offer is %(status)s"`` → ``^the offer is (?P<status>.+)$``."""
    return re.compile("^" + _PLACEHOLDER.sub(r"(?P<\g<name>>.+?)", re.escape(msgid)) + "$")


def worded(message: str, language: str, own: OwnMessages | None = None) -> str:
    """``message`` in ``language``: as the plugin (``own``) or the catalog has it, or by its
    pattern with its values kept, or as it came."""
    if own is not None:
        mine = own.word(message, language)
        if mine is not None:
            return mine
    table = catalog(language)
    if not table:
        return message
    if message in table:
        return table[message]
    for pattern, text in PATTERNS:
        found = pattern.search(message)
        if found and text in table:
            values = {k: _value(k, v, language) for k, v in found.groupdict().items()}
            return table[text] % values if values else table[text]
    return message


def _value(name: str, value: str, language: str) -> str:
    if name == "message":
        return worded(value, language)
    if name in KEPT:
        return value
    if name == "values":
        return ", ".join(catalog(language).get(v, v) for v in value.split(", "))
    return catalog(language).get(value, value)


def accepted_language(header: str | None) -> str | None:
    """The best of :data:`LANGUAGES` an ``Accept-Language`` header asks for, if any."""
    best: tuple[float, str] | None = None
    for part in (header or "").split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        quality = next((_QUALITY.match(p) for p in params if _QUALITY.match(p)), None)
        weight = float(quality.group("q")) if quality else 1.0
        language = _TAGS.get(tag.lower().split("-")[0])
        if language and weight > 0 and (best is None or weight > best[0]):
            best = (weight, language)
    return None if best is None else best[1]


def reader_language(scope: Mapping[str, Any]) -> str:
    """The request's reader's language: their own choice, else ``Accept-Language``, else
    English (the API's source language)."""
    chosen = getattr(scope.get("user"), "language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    headers = dict(scope.get("headers") or ())
    header = headers.get(b"accept-language", b"").decode("latin-1")
    return accepted_language(header) or SOURCE_LANGUAGE


def localized(
    body: dict[str, Any], language: str, own: OwnMessages | None = None
) -> dict[str, Any]:
    """A problem document's human parts in ``language`` (a plugin's route: its ``own``
    messages first); ``code``, ``field`` and the rest as they were."""
    if language == SOURCE_LANGUAGE:
        return body
    word: Callable[[str], str] = lambda text: worded(text, language, own)  # noqa: E731
    shown = dict(body)
    for key in ("title", "detail"):
        if isinstance(body.get(key), str):
            shown[key] = word(body[key])
    errors = body.get("errors")
    if isinstance(errors, list) and all(isinstance(e, dict) for e in errors):
        shown["errors"] = [{**e, "message": word(str(e["message"]))} if "message" in e else e
                           for e in errors]  # fmt: skip
        joined = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
        if body.get("detail") == joined:  # "field: message; ...": each message worded
            shown["detail"] = "; ".join(
                f"{e.get('field')}: {e.get('message')}" for e in shown["errors"]
            )
    return shown
