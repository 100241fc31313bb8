"""The test suite's memory of handler type hints (tests/support/signatures.py)."""

from __future__ import annotations

import litestar.utils.signature as signature

from tests.support import signatures


def handler(customer_id: int, note: str | None = None) -> dict[str, int]:
    return {"customer_id": customer_id}


def test_this_litestar_is_patched_and_answers_as_the_original() -> None:
    # Given the plugin installed by tests/conftest.py
    assert signatures.install()
    assert signature.get_fn_type_hints is signatures.remembered_type_hints
    # When a handler's hints are asked for twice
    first = signature.get_fn_type_hints(handler)
    first["added_by_a_caller"] = str
    second = signature.get_fn_type_hints(handler)
    # Then both answers are Litestar's own, and a caller's change does not stick
    assert signatures._original is not None
    assert second == signatures._original(handler)
    assert "added_by_a_caller" not in second


def test_a_closure_made_per_app_is_not_kept_alive() -> None:
    # Given a provider closure, as each app's dependencies make
    def make() -> object:
        def provide(session: int) -> int:
            return session

        signature.get_fn_type_hints(provide)
        return provide

    provide = make()
    assert provide in signatures._seen
    # When the app that made it is gone
    del provide
    # Then the memory has let go of it
    assert all(getattr(fn, "__name__", "") != "provide" for fn in list(signatures._seen))
