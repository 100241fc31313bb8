"""Customers, vehicles and service orders: the book every plugin builds on, its pricing,
validation, privacy (export, erasure) and the events it writes.

The highest domain: it may import every domain below it (docs/architecture.md, "Layers")."""
