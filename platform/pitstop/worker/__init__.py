"""Background work: the broker, the tenant-restoring middleware, the platform's actors (event
publish and delivery, plugin tasks and schedules), sending by actor name, the scheduler.

Delivery: it receives its collaborators from the process entry points
(:mod:`pitstop.processes`, ``pitstop serve``), never the runtime (docs/architecture.md,
"Layers")."""
