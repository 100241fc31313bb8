"""The server markers stay true: a test reaching a server without its marker is refused.

Each case runs a small pytest session (pytester, in process) over the suite's own
fixtures and checks (tests/conftest.py, tests/support/markers.py), so nothing here starts
a server: the refusals come before any would.
"""

from __future__ import annotations

import pytest
from _pytest.pytester import Pytester

CONFTEST = """
from tests.conftest import *  # the suite's fixtures: backend, settings, the servers
"""
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
markers =
    postgres: needs the throwaway PostgreSQL server
    redis: needs the throwaway Redis server
    e2e: starts real pitstop processes
"""


@pytest.fixture
def suite(pytester: Pytester) -> Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    return pytester


def _run(suite: Pytester, *args: str) -> pytest.RunResult:
    return suite.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    ("fixture", "mark"),
    [("postgres_server", "postgres"), ("postgres_database", "postgres"), ("redis_server", "redis")],
)
def test_a_server_fixture_without_its_marker_fails_collection(
    suite: Pytester, fixture: str, mark: str
) -> None:
    # Given a test asking for a server fixture, unmarked
    suite.makepyfile(test_unmarked=f"def test_it({fixture}):\n    pass\n")
    # When the suite is collected
    result = _run(suite, "--collect-only", "-q")
    # Then collection fails, naming the test and the marker it lacks
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*test_unmarked.py::test_it uses the {mark} server but is not marked @pytest.mark.{mark}"]
    )


def test_a_fixture_reaching_a_server_through_another_fails_collection(suite: Pytester) -> None:
    # Given a test whose own fixture needs the PostgreSQL server
    suite.makepyfile(
        test_indirect="""
        import pytest

        @pytest.fixture
        def census(postgres_server):
            return postgres_server

        def test_it(census):
            pass
        """
    )
    # When collected, Then refused
    result = _run(suite, "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_indirect.py::test_it uses the postgres server*"])


def test_a_postgres_backend_parameter_without_its_marker_fails_collection(
    suite: Pytester,
) -> None:
    # Given a test parametrised onto PostgreSQL by a bare value (no marked pytest.param)
    suite.makepyfile(
        test_bare="""
        import pytest

        @pytest.mark.parametrize("backend", ["postgres"], indirect=True)
        def test_it(settings):
            pass
        """
    )
    # When collected, Then refused
    result = _run(suite, "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_bare.py::test_it?postgres? uses the postgres server*"])


def test_the_fast_loop_deselects_every_server_test_and_keeps_the_rest(suite: Pytester) -> None:
    # Given tests on both backends, on Redis, and a module that is PostgreSQL only
    suite.makepyfile(
        test_mixed="""
        import pytest
        from tests.conftest import ON_POSTGRES

        def test_both(settings):
            pass

        @pytest.mark.redis
        def test_broker(redis_server):
            pass

        @ON_POSTGRES
        def test_rls(settings):
            pass

        def test_plain():
            pass
        """
    )
    # When the fast loop and the PostgreSQL selection are collected
    fast = _run(suite, "--collect-only", "-q", "-m", "not postgres and not redis")
    postgres = _run(suite, "--collect-only", "-q", "-m", "postgres")
    # Then the fast loop keeps only what needs no server, and -m postgres lists the rest
    assert fast.ret == pytest.ExitCode.OK
    fast.stdout.fnmatch_lines(
        ["test_mixed.py::test_both[[]sqlite[]]", "test_mixed.py::test_plain", "*2/5 tests*"]
    )
    postgres.stdout.fnmatch_lines(
        ["test_mixed.py::test_both[[]postgres[]]", "test_mixed.py::test_rls[[]postgres[]]"]
    )


def test_an_overridden_postgres_backend_without_the_marker_fails_before_any_server(
    suite: Pytester,
) -> None:
    # Given a module that overrides ``backend`` to PostgreSQL (invisible to collection)
    suite.makepyfile(
        test_override="""
        import pytest

        @pytest.fixture
        def backend():
            return "postgres"

        async def test_it(settings):
            pass
        """
    )
    # When it runs
    result = _run(suite, "-q", "--setup-show")
    # Then the test fails at set-up, naming the marker, before the server would start
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_it reaches the PostgreSQL server but is not marked @pytest.mark.postgres*"]
    )
    result.stdout.no_fnmatch_line("*SETUP*postgres_server*")


def test_a_real_pitstop_process_without_e2e_fails_before_it_starts(suite: Pytester) -> None:
    # Given an unmarked test starting a real `pitstop worker`
    suite.makepyfile(
        test_process="""
        from tests.support.processes import pitstop_process

        def test_it(tmp_path):
            pitstop_process("worker", None, tmp_path)
        """
    )
    # When it runs, Then it fails naming the e2e marker
    result = _run(suite, "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*starts a real `pitstop worker` but is not marked*e2e*"])
