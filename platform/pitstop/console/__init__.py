"""The web console at ``/console/``: the front desk and chain HQ in a browser.

Server-rendered pages (Jinja2 through Litestar's template engine) whose every action is a
plain form post. A page is a thin delivery-layer handler over the same services, the same
route access rules and the same masking as the API: it builds the API's own response
shapes (``crm.responses``) and turns them into template values with the API's own
encoders (:mod:`pitstop.console.view`), so a role sees exactly what the API would show it.
See docs/console.md.
"""
