"""The event bus: topology, connections, the outbox relay and the idempotent consumer."""
