"""The plugin host: the hook contract (``specs``), the pluggy manager, plugin contexts,
per-tenant enablement and settings, plugin routes, commands, subscriptions and the scaffold.

Above the domains, below delivery; plugins reach it only through ``pitstop.sdk``
(docs/architecture.md, "Layers")."""
