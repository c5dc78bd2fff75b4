"""Event contracts and plumbing: envelope, event store, outbox, idempotent consumer."""
