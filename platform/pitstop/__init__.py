"""Pitstop: the platform car-service chains and shops run on."""

__version__ = "0.1.0"
