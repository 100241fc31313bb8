"""Bringing a deployment's database up: the full model metadata and the migrations.

Part of the assembly layer because both need everything below: every domain's models
(for Alembic's metadata) and the plugin host (for plugins' version directories). Keeping
them out of ``db/`` is what lets the kernel import nothing above it.
"""
