"""Domain events: the transactional outbox, the relay and per-plugin delivery."""
