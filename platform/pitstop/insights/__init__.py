"""Insights: what HQ reads across stores - the KPI board, RFM segments, time series.

A domain above the CRM: it reads customers and service orders (never writes them) and
computes every figure in the database. Plugins add tiles to the board through the ``kpis``
hook, which reaches this package only as the :class:`~pitstop.insights.kpis.KpiTiles`
protocol the plugin host satisfies.
"""
