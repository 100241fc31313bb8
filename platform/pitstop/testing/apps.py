"""One app per plugin set and settings, pointed at each test's own runtime.

Building the app (every handler's signature, dependencies and routing table) costs 0.2 to
0.3 s, more than most tests' bodies, and a suite builds one per test. Yet nothing in the
app belongs to a test except the runtime's collaborators, which it calls on every request:
the session factory, the clock, the plugin host, the broker. So the kit builds the app
once, around stand-ins that forward each use to the runtime of the test holding the app,
and each test still has its own database, broker, clock and plugin host.

An app is shared only between runtimes that would have built the same one: the same
plugin modules in the same order, the same settings but for where the data lives, the
same database dialect. Two tests never hold one app at once: a second lease while the
first is out gets an app of its own, built as before.
"""

from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from sqlalchemy.engine import make_url

from pitstop.app import create_app
from pitstop.logs import configure_logging
from pitstop.runtime import Runtime

SHARE_ENV = "PITSTOP_TEST_SHARED_APPS"
"""Set to ``0`` to build an app per test (to rule the sharing out when chasing a bug)."""

_PER_TEST = ("database_url", "migration_database_url", "var_dir")
"""Settings each test has its own of, read only through the runtime while serving."""


class _Holder:
    """Which runtime the stand-ins forward to; ``None`` between leases."""

    runtime: Runtime | None = None

    def target(self, name: str) -> Any:
        if self.runtime is None:
            raise RuntimeError(f"a shared app's {name} was used outside a test's lease")
        return getattr(self.runtime, name)


class Forward:
    """Stands in for one collaborator of the runtime now holding the app."""

    __slots__ = ("_holder", "_name")

    def __init__(self, holder: _Holder, name: str) -> None:
        self._holder, self._name = holder, name

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        # Litestar validates an injected value against the parameter's type, and
        # isinstance() asks an object's __class__.
        return type(self._holder.target(self._name))

    def __getattr__(self, item: str) -> Any:
        return getattr(self._holder.target(self._name), item)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._holder.target(self._name)(*args, **kwargs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._holder.target(self._name))

    def __contains__(self, item: object) -> bool:
        return item in self._holder.target(self._name)

    def __getitem__(self, key: Any) -> Any:
        return self._holder.target(self._name)[key]

    def __len__(self) -> int:
        return len(self._holder.target(self._name))

    def __copy__(self) -> Forward:
        return self  # a router copied while the app is built keeps forwarding

    def __deepcopy__(self, memo: dict[int, Any]) -> Forward:
        return self

    def __repr__(self) -> str:
        return f"<forward {self._name} to {self._holder.runtime!r}>"


@dataclasses.dataclass
class _Shelved:
    app: Litestar
    holder: _Holder
    modules: tuple[object, ...]
    """Held so the ids in the key cannot be reused by other modules while this lives."""
    leased: bool = False


class SharedApps:
    """The apps of one test process, the ``size`` most recently used kept."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._shelf: OrderedDict[tuple[Any, ...], _Shelved] = OrderedDict()

    @contextmanager
    def lease(self, runtime: Runtime) -> Iterator[Litestar]:
        """The app serving ``runtime`` until the block ends."""
        if os.environ.get(SHARE_ENV) == "0":
            yield create_app(runtime=runtime)
            return
        key, modules = _key(runtime)
        shelved = self._shelf.get(key)
        if shelved is not None and shelved.leased:
            yield create_app(runtime=runtime)  # another test holds it: one of its own
            return
        if shelved is None:
            shelved = self._shelve(key, modules, runtime)
        else:
            self._shelf.move_to_end(key)
            configure_logging(runtime.settings)  # as building it would have
        shelved.holder.runtime, shelved.leased = runtime, True
        try:
            yield shelved.app
        finally:
            shelved.holder.runtime, shelved.leased = None, False

    def _shelve(
        self, key: tuple[Any, ...], modules: tuple[object, ...], runtime: Runtime
    ) -> _Shelved:
        holder = _Holder()
        holder.runtime = runtime  # the build itself reads the plugin set and settings
        forwards: dict[str, Any] = {
            f.name: Forward(holder, f.name) for f in dataclasses.fields(Runtime)
        }
        stand_in = Runtime(**forwards)
        shelved = _Shelved(create_app(runtime=stand_in), holder, modules)
        self._shelf[key] = shelved
        while len(self._shelf) > self.size:
            self._shelf.popitem(last=False)
        return shelved


def _key(runtime: Runtime) -> tuple[tuple[Any, ...], tuple[object, ...]]:
    settings = runtime.settings
    shared = tuple(
        (f.name, getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in _PER_TEST
    )
    modules = tuple(loaded.module for loaded in runtime.plugins.plugins.values())
    dialect = make_url(settings.database_url).get_backend_name()
    names = tuple(runtime.plugins.plugins)
    return (dialect, shared, names, tuple(id(m) for m in modules)), modules


APPS = SharedApps()
"""The kit's apps for this process (pytest-xdist runs a process per worker)."""
