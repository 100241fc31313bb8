"""Render ``pitstop.sdk``'s public surface as text: one line per name, member and signature.

What a plugin can reach is what this prints: every name in ``__all__`` and, for the SDK's
own classes, their public members (fields, methods, properties) with their signatures.
Members inherited from third-party bases (msgspec, SQLAlchemy, Exception) are left out:
they are those libraries' contracts, not Pitstop's.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from types import ModuleType
from typing import Any

import msgspec


def _signature(thing: Any) -> str:
    try:
        return str(inspect.signature(thing))
    except (TypeError, ValueError):
        return "(...)"


def _unqualified(text: str) -> str:
    """``collections.abc.Callable`` as ``Callable``: where a type lives is not the contract."""
    return re.sub(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_])", "", text)


def _own(cls: type) -> list[type]:
    """The classes of ``cls``'s MRO that Pitstop defines (its own contract)."""
    return [c for c in cls.__mro__ if c.__module__.startswith("pitstop")]


def _members(cls: type) -> list[str]:
    if issubclass(cls, enum.Enum):
        return [f"    .{member.name} = {member.value!r}" for member in cls]
    lines: list[str] = []
    fields_are_parameters = dataclasses.is_dataclass(cls) or issubclass(cls, msgspec.Struct)
    seen = set(inspect.signature(cls).parameters) if fields_are_parameters else set()
    for owner in _own(cls):
        for name, value in vars(owner).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(value, property):
                lines.append(f"    .{name}: property")
            elif isinstance(value, staticmethod | classmethod):
                lines.append(f"    .{name}{_signature(value.__func__)}")
            elif inspect.isfunction(value):
                lines.append(f"    .{name}{_signature(value)}")
            elif type(value).__module__ == "builtins" and not callable(value):
                lines.append(f"    .{name}: {type(value).__name__}")
        for name, annotation in getattr(owner, "__annotations__", {}).items():
            if not name.startswith("_") and name not in seen:
                seen.add(name)
                lines.append(f"    .{name}: {annotation}")
    return sorted(lines)


def _describe(name: str, thing: Any) -> list[str]:
    if inspect.isclass(thing):
        bases = ", ".join(b.__name__ for b in thing.__bases__)
        signature = "" if issubclass(thing, enum.Enum) else _signature(thing)
        return [f"class {name}({bases}){signature}", *_members(thing)]
    if inspect.isfunction(thing):
        kind = "async def" if inspect.iscoroutinefunction(thing) else "def"
        if inspect.isasyncgenfunction(thing):
            kind = "async generator"
        return [f"{kind} {name}{_signature(thing)}"]
    if isinstance(thing, str | int | float | bool):
        return [f"{name}: {type(thing).__name__} = {thing!r}"]
    if isinstance(thing, dict | list | tuple | frozenset | set):
        return [f"{name}: {type(thing).__name__}"]
    if hasattr(thing, "__metadata__"):  # Annotated: the library's repr of its metadata varies
        metadata = ", ".join(type(m).__name__ for m in thing.__metadata__)
        base = getattr(thing.__origin__, "__name__", None) or _unqualified(repr(thing.__origin__))
        return [f"{name} = Annotated[{base}, {metadata}]"]
    if getattr(thing, "__module__", "") == "typing" or hasattr(thing, "__origin__"):
        return [f"{name} = {_unqualified(repr(thing))}"]
    package = type(thing).__module__.split(".")[0]
    return [f"{name}: {package}.{type(thing).__qualname__} instance"]


def render(module: ModuleType) -> str:
    """The surface of ``module`` as the snapshot file holds it."""
    lines = [f"# {module.__name__} surface, SDK {module.SDK_VERSION}"]
    for name in sorted(module.__all__):
        lines += _describe(name, getattr(module, name))
    return "\n".join(lines) + "\n"
