"""Who may do what, and what they may see: permissions and role templates, the PII classes
and their masking, the audit log, route access checks and search limits.

A domain layer just above the kernel (docs/architecture.md, "Layers")."""
