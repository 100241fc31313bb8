"""HTTP API of the CRM, one module per resource: customers, vehicles, service orders.

Handlers parse, ask for their collaborators by name (``session``, ``clock``,
``settings``, ``customer_extensions``) and call the CRM's services; the shapes they
answer with are in ``crm/schemas.py``, built by ``crm/responses.py``.
"""
