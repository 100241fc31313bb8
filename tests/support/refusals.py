"""Every message a module refuses with, read from its source: what the wording tests hold
to a catalog (the kernel's, tests/unit/test_error_wording.py; a plugin's own,
tests/plugins/test_plugin_wording.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator

MESSAGE_ARGUMENT = {"field": 1, "HoursInvalid": 1, "InviteRefused": 0, "Unprocessable": 0,
                    "Conflict": 0, "NotFound": 0, "Forbidden": 0, "Unauthorized": 0,
                    "TooManyRequests": 0, "ApiError": 0, "_refuse": 0, "illegal": 2,
                    "refused": 2}  # fmt: skip
"""Where each way of refusing takes its human message."""


def raised(module_name: str) -> Iterator[str]:
    """Every message the module refuses with: literals and constants as they are, an
    f-string with each value replaced by ``7`` (what the patterns must match)."""
    module = importlib.import_module(module_name)
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name == "field" and not (
            isinstance(callee, ast.Attribute) and getattr(callee.value, "id", "") == "Unprocessable"
        ):
            continue
        at = MESSAGE_ARGUMENT.get(name)
        if at is None or len(node.args) <= at:
            continue
        argument = node.args[at]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            yield argument.value
        elif isinstance(argument, ast.Name) and isinstance(getattr(module, argument.id, 0), str):
            yield getattr(module, argument.id)
        elif isinstance(argument, ast.JoinedStr):
            yield "".join(
                part.value if isinstance(part, ast.Constant) else "7" for part in argument.values
            )
