"""Access: who is calling (``Principal``), what they may do, and the record of it.

Permissions and role templates, route rules, PII classes and masking, the audit log (its
table and writer), search limits. The lowest domain: it imports only the kernel, so every
other domain may check a permission, mask a value or write an audit entry.
"""
