"""``pitstop demo``: demo tenants, logins and a deterministic book to look at.

The assembly's own package: it may import anything (the domains, the plugin host,
tenant manifests), and nothing imports it but the CLI and tests. Its people, VINs and plates
come from Faker, an optional dependency (``pip install 'pitstop[demo]'``, which
``make run`` installs), so a production install carries no fake-data generator.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = (
    "pitstop demo needs Faker, an optional dependency: pip install 'pitstop[demo]'"
    " (or `make run`, which installs it)"
)


def faker_installed() -> bool:
    return importlib.util.find_spec("faker") is not None
