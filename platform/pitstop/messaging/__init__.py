"""Customer and staff messaging: consent, templates, rules, channels and the contact log.

A domain above the CRM (it reads customers to address them) and below the plugin host
(which exposes ``ctx.notify``). Personal data is read only at send time, by the worker,
and handed only to the channel adapter: rows, broker messages and events carry ids.
"""
