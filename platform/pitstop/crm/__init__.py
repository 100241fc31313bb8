"""CRM: customers, vehicles, service orders, the 360° profile and data-subject rights.

Imports the kernel, access, tenancy, identity's models and the events outbox (a change and
its event commit together). What plugins add to a customer reaches it through its own
``CustomerExtensions`` protocol, never through the plugin host.
"""
