"""The database kernel: engines and sessions, the declarative base and ``TenantModel``, the
tenant walls (ORM criteria, flush checks, row-level security), discovery across tenants.

Kernel: imports nothing of Pitstop above it (docs/architecture.md, "Layers")."""
