"""The ``postgres``, ``redis`` and ``e2e`` markers, kept true by the suite itself.

``pytest -m "not postgres and not redis"`` is the fast local loop only if every test that
reaches a throwaway server carries the server's marker. People forget markers, so they are
checked where forgetting shows:

* at collection, for a test whose fixtures (directly or through other fixtures) include a
  server fixture, or whose ``backend`` parameter is ``"postgres"``: an unmarked one fails
  the whole collection with a message naming it;
* at set-up, for the paths collection cannot see: a fixture asking for a server by name
  (``request.getfixturevalue``), a ``backend`` fixture overridden to return ``"postgres"``,
  a support helper starting a real ``pitstop`` process (``e2e``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Fixtures that start (or stand for) a throwaway server, by the marker their users need.
SERVER_FIXTURES: dict[str, frozenset[str]] = {
    "postgres": frozenset({"postgres_server", "postgres_database", "demo_snapshots_postgres"}),
    "redis": frozenset({"redis_server"}),
}

_current: list[pytest.Item] = []


def needed_marks(item: pytest.Item) -> set[str]:
    """The server markers ``item`` needs, judged from what collection knows."""
    fixtures = set(getattr(item, "fixturenames", ()))
    needed = {mark for mark, names in SERVER_FIXTURES.items() if fixtures & names}
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "postgres":
        needed.add("postgres")
    return needed


def _unmarked(item: pytest.Item) -> list[str]:
    return sorted(m for m in needed_marks(item) if item.get_closest_marker(m) is None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: judged before ``-m`` deselects anything, so the check holds in every run.
    problems = [
        f"{item.nodeid} uses the {mark} server but is not marked @pytest.mark.{mark}"
        for item in items
        for mark in _unmarked(item)
    ]
    if problems:
        raise pytest.UsageError(
            "tests reach a throwaway server without its marker, so "
            '`-m "not postgres and not redis"` would start it:\n  ' + "\n  ".join(problems)
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Remember the running test, for :func:`require_mark` in helpers that get no request."""
    _current.append(item)
    try:
        return (yield)
    finally:
        _current.pop()


def require_mark(mark: str, why: str, node: pytest.Item | None = None) -> None:
    """Fail the test (``node``, else the running one) unless it carries ``mark``."""
    item = node if node is not None else (_current[-1] if _current else None)
    if item is not None and item.get_closest_marker(mark) is None:
        pytest.fail(f"{item.nodeid} {why} but is not marked @pytest.mark.{mark}", pytrace=False)
