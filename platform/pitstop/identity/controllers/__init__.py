"""HTTP API of identity, one module per resource: auth, staff, roles, API keys."""
