"""Probes and other platform-level endpoints that belong to no tenant."""
