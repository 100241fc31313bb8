"""Resolve each handler's type hints once per test process, not once per app.

Every test builds its own app from its own runtime (nothing leaks between tests), and a
Litestar app resolves the type hints of every handler and dependency when it is built:
about a third of building ours, and building apps was the largest single cost of the
suite. The hints of one function under one namespace never change, so this pytest plugin
remembers them for the process; the app is otherwise built exactly as in production.

Should a Litestar release rename the function, the plugin does nothing and the suite is
only slower (tests/unit/test_signature_cache.py says so).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

import litestar.utils.signature as signature

Hints = dict[str, Any]
_original: Callable[..., Hints] | None = getattr(signature, "get_fn_type_hints", None)
# Weak on the function: a closure made for one app (a dependency provider) is forgotten
# with that app instead of keeping its runtime alive.
_seen: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Hints]] = weakref.WeakKeyDictionary()


def remembered_type_hints(fn: Any, namespace: dict[str, Any] | None = None) -> Hints:
    assert _original is not None
    function = getattr(fn, "__func__", fn)
    if not inspect.isfunction(function):  # a class or a callable object: not worth it
        return _original(fn, namespace)
    # Names map to types compared by identity: the same names bound to other objects are
    # another namespace.
    names = tuple(sorted((name, id(value)) for name, value in (namespace or {}).items()))
    by_namespace = _seen.setdefault(function, {})
    hints = by_namespace.get(names)
    if hints is None:
        hints = by_namespace[names] = _original(fn, namespace)
    return dict(hints)  # callers may add to their copy


def install() -> bool:
    """Patch Litestar's resolver; False when this Litestar has none to patch."""
    if _original is None:
        return False
    signature.get_fn_type_hints = remembered_type_hints
    return True


def pytest_configure() -> None:
    install()
