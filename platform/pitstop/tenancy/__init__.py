"""Tenants and their stores: the tenant context, business hours and calendars, manifests and
their plan/apply reconciliation.

A domain above access (docs/architecture.md, "Layers")."""
