"""People and how they sign in: users, memberships (user × tenant × role × stores), login,
tokens and refresh, API keys, invites, lock-outs, and the edge that resolves the principal.

A domain above access and tenancy (docs/architecture.md, "Layers")."""
