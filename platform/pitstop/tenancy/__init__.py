"""Tenancy: tenants, their stores, business calendars and per-tenant plugin settings.

Imports the kernel and access (to audit store changes). The tenant *context* is the
kernel's (``db.tenant_context``), since the ORM guard and the errors need it; opening a
tenant with its roles and staff is provisioning's, since that needs identity.
"""
