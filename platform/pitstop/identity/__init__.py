"""Identity: people, memberships, roles, API keys, logging in and the edge that resolves
a bearer credential to a principal.

Imports the kernel, access and tenancy; never crm, events or anything above the domains.
Its services take their collaborators (session factory, settings, the time) as arguments.
"""
