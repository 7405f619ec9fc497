"""Email digests: subscriptions with double opt-in, composing, rendering and an exactly-once outbox."""
