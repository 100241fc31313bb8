"""Provisioning: opening tenants and keeping them as their manifests say.

The platform operator's tenant API and ``pitstop tenants plan|apply|adopt`` both create
tenants together with their built-in roles, stores and staff, so this package sits above
tenancy and identity, whose services it combines; neither of those imports it.
"""
